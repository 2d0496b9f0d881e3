// Menus (<details> in the header): progressive enhancement. Without JavaScript every menu
// opens and closes with its own button; with it, a menu also closes on Esc (focus goes back
// to its button), on a click or tap outside it, and when another menu of the bar is opened.
// The three-bar "Menú" button on a phone behaves the same way.
(function () {
  "use strict";
  var header = document.querySelector(".site-header");
  if (!header) {
    return;
  }
  function openMenus() {
    return Array.prototype.slice.call(header.querySelectorAll("details[open]"));
  }
  function close(menu, focus) {
    menu.open = false;
    if (focus) {
      var summary = menu.querySelector("summary");
      if (summary) {
        summary.focus();
      }
    }
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") {
      return;
    }
    // The innermost open menu holding the focus closes first; otherwise every open one.
    var inside = openMenus().filter(function (menu) {
      return menu.contains(document.activeElement);
    });
    if (inside.length) {
      close(inside[inside.length - 1], true);
    } else {
      openMenus().forEach(function (menu) {
        close(menu, false);
      });
    }
  });
  document.addEventListener("click", function (event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) {
        close(menu, false);
      }
    });
  });
})();

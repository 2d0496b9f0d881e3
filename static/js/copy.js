// "Copiar" buttons (progressive enhancement). The server renders each button hidden, with the
// text to copy in data-copy and the word to show once copied in data-copied; without
// JavaScript (or without the Clipboard API) the number stays on screen to select by hand.
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) {
    return;
  }
  var buttons = document.querySelectorAll("button[data-copy]");
  Array.prototype.forEach.call(buttons, function (button) {
    var label = button.textContent;
    var status = button.parentNode.querySelector(".copy-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
        var done = button.getAttribute("data-copied") || label;
        if (status) {
          status.textContent = done; // a polite live region: screen readers hear it once
        }
        button.textContent = done;
        window.setTimeout(function () {
          button.textContent = label;
          if (status) {
            status.textContent = "";
          }
        }, 2000);
      });
    });
  });
})();

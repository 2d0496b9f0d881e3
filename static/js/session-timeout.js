// Idle-timeout warning (progressive enhancement; without JavaScript the server still ends the
// session after 15 idle minutes and explains it on the next request).
// Two minutes before the end, show a notice with a button that renews the session.
(function () {
  "use strict";
  var notice = document.getElementById("session-warning");
  if (!notice) {
    return;
  }
  var seconds = parseInt(notice.getAttribute("data-session-seconds") || "0", 10);
  var keepaliveUrl = notice.getAttribute("data-keepalive-url");
  if (!seconds || !keepaliveUrl) {
    return;
  }
  var warnAfter = Math.max(seconds - 120, 30) * 1000;
  var timer = null;

  function schedule() {
    if (timer) {
      window.clearTimeout(timer);
    }
    notice.hidden = true;
    timer = window.setTimeout(function () {
      notice.hidden = false;
      var button = notice.querySelector("button");
      if (button) {
        button.focus();
      }
    }, warnAfter);
  }

  notice.querySelector("button").addEventListener("click", function () {
    fetch(keepaliveUrl, { credentials: "same-origin" }).then(function (response) {
      return response.json();
    }).then(function (data) {
      if (data.ok) {
        schedule();
      } else {
        window.location.reload();
      }
    }).catch(function () {
      // Expired already (the server answered with the warning page): show it.
      window.location.reload();
    });
  });
  schedule();
})();

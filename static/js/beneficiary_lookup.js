// "Buscar" in place: post the account number to the lookup endpoint and show the masked
// holder name without reloading. Without JavaScript the same button posts the whole form.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.js-beneficiary-lookup");
    if (!form || !window.fetch) {
      return;
    }
    var output = document.getElementById("lookup-result");
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (!submitter || submitter.value !== "lookup" || form.dataset.plainPost === "1") {
        return;
      }
      event.preventDefault();
      submitter.disabled = true;
      fetch(form.dataset.lookupUrl, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      })
        .then(function (response) {
          return response.json();
        })
        .then(function (data) {
          output.textContent = data.message;
          output.classList.toggle("error", !data.found);
        })
        .catch(function () {
          // Network trouble: fall back to the plain form post, once.
          form.dataset.plainPost = "1";
          form.requestSubmit(submitter);
        })
        .finally(function () {
          submitter.disabled = false;
        });
    });
  });
})();

/* Приложение 1: «Печать» by a listener (the page's Content-Security-Policy forbids inline handlers). */
(function () {
  "use strict";
  var button = document.getElementById("print");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
}());

/* ОЗСП pages: live status, CAPTCHA refresh, attachments toggle, calendars (air-datepicker). No framework. */
(function () {
  "use strict";

  var LIVE_DELAY_MS = 2500;

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function dotted(d) { return pad(d.getDate()) + "." + pad(d.getMonth() + 1) + "." + d.getFullYear(); }
  function fromIso(text) { var p = text.split("-"); return new Date(+p[0], +p[1] - 1, +p[2]); }
  /* A calendar date, or null: 31-02-2002 is no date (never rolled over into March). */
  function calendarDate(year, month, day) {
    var d = new Date(year, month - 1, day);
    return d.getFullYear() === year && d.getMonth() === month - 1 && d.getDate() === day ? d : null;
  }
  /* The dates typed in a field; strict: one impossible date and the text is left alone (returns []). */
  function parseDates(text) {
    var found = [], re = /(\d{1,2})[.\-/](\d{1,2})[.\-/](\d{4})/g, m, d;
    while ((m = re.exec(text || "")) !== null) {
      d = calendarDate(+m[3], +m[2], +m[1]);
      if (!d) { return []; }
      found.push(d);
    }
    return found.slice(0, 2);
  }

  /* Regions with data-live refresh themselves from their URL while data-pending="true": at once when the
     gateway says one of their requests (data-wait) got its answer (GET /individual/wait, a long poll, whose
     answer carries the region's fresh HTML when the region names its part in data-wait-part), else every
     LIVE_DELAY_MS. */
  function live(region) {
    function show(html) {
      var holder = document.createElement("template");
      holder.innerHTML = html.trim();
      var fresh = holder.content.firstElementChild;
      if (fresh && fresh.innerHTML !== region.innerHTML) { region.innerHTML = fresh.innerHTML; }
      if (fresh) {
        region.setAttribute("data-pending", fresh.getAttribute("data-pending"));
        region.setAttribute("data-wait", fresh.getAttribute("data-wait") || "");
      }
    }
    function refresh() {
      return fetch(region.getAttribute("data-live"), {credentials: "same-origin", cache: "no-store"})
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html) { show(html); } })
        .catch(function () { /* the next tick tries again */ });
    }
    function later() { setTimeout(function () { refresh().then(tick); }, LIVE_DELAY_MS); }
    function tick() {
      if (region.getAttribute("data-pending") !== "true") { return; }
      var ids = region.getAttribute("data-wait");
      if (!ids || document.hidden) { later(); return; }
      var part = region.getAttribute("data-wait-part");
      var asked = Date.now();
      fetch("/individual/wait?ids=" + encodeURIComponent(ids) + (part ? "&part=" + encodeURIComponent(part) : ""),
            {credentials: "same-origin", cache: "no-store"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (said) {
          if (said && said.finished && said.finished.length) {
            if (said.html) { show(said.html); tick(); } else { refresh().then(tick); }
          }
          else if (said && !said.again && Date.now() - asked > 1000) { tick(); }
          else { later(); }
        })
        .catch(later);
    }
    tick();
  }

  /* «Отобразить иные прикрепления» / «Скрыть иные прикрепления» without a reload. */
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-toggle]");
    if (!link) { return; }
    var target = document.getElementById(link.getAttribute("data-toggle"));
    if (!target) { return; }
    event.preventDefault();
    var show = target.hidden;
    target.hidden = !show;
    link.setAttribute("aria-expanded", show ? "true" : "false");
    link.textContent = link.getAttribute(show ? "data-hide" : "data-show");
  });

  /* «Обновить»: a new CAPTCHA picture without losing what is typed. */
  function captcha() {
    var button = $("#captcha-refresh");
    if (!button) { return; }
    button.addEventListener("click", function () {
      button.disabled = true;
      fetch(button.getAttribute("data-url"), {credentials: "same-origin", cache: "no-store"})
        .then(function (r) {
          if (!r.ok) { throw new Error("captcha " + r.status); }  /* session over or too often: keep the picture */
          var answer = r.headers.get("X-Captcha-Answer");
          return r.json().then(function (body) { body.answer = answer; return body; });
        })
        .then(function (body) {
          var image = $("#captcha-image");
          image.src = body.image;
          if (body.answer) { image.setAttribute("data-answer", body.answer); }
          $("#captcha-id").value = body.id;
          var input = $("#f-captcha");
          input.value = "";
          input.focus();
        })
        .catch(function () { /* keep the old picture */ })
        .then(function () { button.disabled = false; });
    });
  }

  /* Date fields of the form: typed as ДД-ММ-ГГГГ, or picked in a calendar. */
  function dateFields() {
    if (!window.AirDatepicker) { return; }
    $all(".js-date").forEach(function (input) {
      var picked = parseDates(input.value);
      var today = input.dataset.max ? fromIso(input.dataset.max) : new Date();  /* Moscow today, from the server */
      var picker = new window.AirDatepicker(input, {
        dateFormat: "dd-MM-yyyy", autoClose: true, showEvent: "click", maxDate: today,
        selectedDates: picked.length ? [picked[0]] : false, startDate: picked[0] || today,
        position: "bottom left", buttons: ["today", "clear"]
      });
      var opener = $(".js-date-open[data-for='" + input.id + "']");
      if (opener) {
        opener.addEventListener("click", function () { input.focus(); picker.show(); });
      }
      input.addEventListener("keydown", function (event) {
        if (event.key === "ArrowDown" && event.altKey) { event.preventDefault(); picker.show(); }
      });
    });
  }

  /* A two-month range calendar for the journal's period (manual §6, Рисунок 18). A range is chosen by
     press–drag–release (then a single click on its last date fixes it, as the manual says), or by two clicks;
     one day by a double click. onChange(dates) gets [] , [day] or [first, last]. */
  var MONTHS = ["Январь", "Февраль", "Март", "Апрель", "Май", "Июнь", "Июль", "Август", "Сентябрь", "Октябрь",
                "Ноябрь", "Декабрь"];
  var WEEKDAYS = ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"];

  function iso(d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }
  function sameDay(a, b) { return !!a && !!b && iso(a) === iso(b); }

  function rangeCalendar(host, onChange) {
    var view = new Date(), range = [], anchor = null, drag = null, dragged = null, suppress = false;
    view = new Date(view.getFullYear(), view.getMonth() - 1, 1);

    function sorted(a, b) { return a <= b ? [a, b] : [b, a]; }
    function shown() {
      if (drag && drag.over) { return sorted(drag.start, drag.over); }
      return range;
    }
    function month(first) {
      var box = document.createElement("div");
      box.className = "range-cal__month";
      var title = document.createElement("p");
      title.className = "range-cal__title";
      title.textContent = MONTHS[first.getMonth()] + " " + first.getFullYear();
      box.appendChild(title);
      var grid = document.createElement("div");
      grid.className = "range-cal__grid";
      grid.setAttribute("role", "grid");
      WEEKDAYS.forEach(function (w) {
        var head = document.createElement("span");
        head.className = "range-cal__weekday";
        head.textContent = w;
        grid.appendChild(head);
      });
      var lead = (first.getDay() + 6) % 7, days = new Date(first.getFullYear(), first.getMonth() + 1, 0).getDate();
      for (var i = 0; i < lead; i++) { grid.appendChild(document.createElement("span")); }
      var marked = shown(), today = new Date();
      for (var n = 1; n <= days; n++) {
        var d = new Date(first.getFullYear(), first.getMonth(), n), cell = document.createElement("button");
        cell.type = "button";
        cell.className = "range-cal__day";
        cell.textContent = String(n);
        cell.setAttribute("data-date", iso(d));
        cell.setAttribute("aria-label", dotted(d));
        if (sameDay(d, today)) { cell.classList.add("is-today"); }
        if (marked.length) {
          var a = marked[0], b = marked[marked.length - 1];
          if (d >= a && d <= b) { cell.classList.add("is-in-range"); }
          if (sameDay(d, a)) { cell.classList.add("is-start"); }
          if (sameDay(d, b)) { cell.classList.add("is-end"); }
          cell.setAttribute("aria-pressed", d >= a && d <= b ? "true" : "false");
        }
        grid.appendChild(cell);
      }
      box.appendChild(grid);
      return box;
    }
    function draw() {
      host.textContent = "";
      var root = document.createElement("div");
      root.className = "range-cal";
      var prev = document.createElement("button"), next = document.createElement("button");
      prev.type = next.type = "button";
      prev.className = "range-cal__nav range-cal__nav--prev";
      next.className = "range-cal__nav range-cal__nav--next";
      prev.textContent = "‹";
      next.textContent = "›";
      prev.setAttribute("aria-label", "Предыдущий месяц");
      next.setAttribute("aria-label", "Следующий месяц");
      prev.addEventListener("click", function () { view = new Date(view.getFullYear(), view.getMonth() - 1, 1); draw(); });
      next.addEventListener("click", function () { view = new Date(view.getFullYear(), view.getMonth() + 1, 1); draw(); });
      root.appendChild(prev);
      root.appendChild(month(view));
      root.appendChild(month(new Date(view.getFullYear(), view.getMonth() + 1, 1)));
      root.appendChild(next);
      host.appendChild(root);
    }
    function dayOf(target) {
      var cell = target && target.closest ? target.closest(".range-cal__day") : null;
      return cell ? fromIso(cell.getAttribute("data-date")) : null;
    }
    function set(dates, keepAnchor) {
      range = dates;
      if (!keepAnchor) { anchor = null; }
      draw();
      onChange(range.slice());
    }

    host.addEventListener("mousedown", function (event) {
      var d = dayOf(event.target);
      if (!d || event.button !== 0) { return; }
      event.preventDefault();  /* no text selection while dragging */
      drag = {start: d, over: null};
    });
    host.addEventListener("mouseover", function (event) {
      var d = dayOf(event.target);
      if (!drag || !d || sameDay(d, drag.start)) { return; }
      drag.over = d;
      draw();
    });
    document.addEventListener("mouseup", function (event) {
      if (!drag) { return; }
      var d = dayOf(event.target) || drag.over, start = drag.start, moved = !!drag.over;
      drag = null;
      if (d && !sameDay(d, start)) {  /* press–drag–release */
        dragged = sorted(start, d)[1];
        suppress = true;  /* the click that may follow the release is not a click on a day */
        setTimeout(function () { suppress = false; }, 0);
        set(sorted(start, d));
      } else if (moved) {  /* dragged away and back: a click on the day (the cells stay until then) */
        draw();
      }
    });
    host.addEventListener("click", function (event) {
      var d = dayOf(event.target);
      if (!d || suppress) { return; }
      if (dragged && sameDay(d, dragged) && range.length === 2) {  /* fixes the dragged interval */
        dragged = null;
        return;
      }
      dragged = null;
      if (anchor && !sameDay(anchor, d)) {  /* the second click: the other end */
        set(sorted(anchor, d));
      } else if (anchor) {  /* the same day twice (a double click): that day alone */
        set([d, d]);
      } else {
        anchor = d;
        set([d], true);
      }
    });

    draw();
    return {
      choose: function (dates) {
        anchor = null;
        dragged = null;
        range = dates.slice();
        var last = range.length ? range[range.length - 1] : new Date();
        view = new Date(last.getFullYear(), last.getMonth() - 1, 1);
        draw();
      }
    };
  }

  /* The journal's period: quick choices, the two-month range calendar, «Установить». */
  function period() {
    var panel = $("#period-panel"), input = $("#period"), opener = $("#period-open");
    if (!panel || !input) { return; }
    var chosen = [], calendar = null, note = $("#period-chosen");

    function describe() {
      if (!chosen.length) { note.textContent = "Период не выбран"; return; }
      var a = dotted(chosen[0]), b = dotted(chosen[chosen.length - 1]);
      note.textContent = "Выбрано: " + (a === b ? a : a + " – " + b);
    }
    function choose(dates) {
      chosen = dates.slice().sort(function (x, y) { return x - y; });
      if (calendar) { calendar.choose(chosen.length === 1 ? [chosen[0], chosen[0]] : chosen); }
      describe();
    }
    function open() {
      panel.hidden = false;
      opener.setAttribute("aria-expanded", "true");
      if (!calendar) {
        calendar = rangeCalendar($("#period-calendar"), function (dates) { chosen = dates; describe(); });
      }
      choose(parseDates(input.value));
      var first = $(".quick", panel);
      if (first) { first.focus(); }
    }
    function close() {
      panel.hidden = true;
      opener.setAttribute("aria-expanded", "false");
      input.focus();
    }
    opener.addEventListener("click", function () { if (panel.hidden) { open(); } else { close(); } });
    input.addEventListener("click", function () { if (panel.hidden) { open(); } });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && event.altKey) { event.preventDefault(); open(); }
    });
    $all(".quick", panel).forEach(function (button) {
      button.addEventListener("click", function () {
        choose([fromIso(button.getAttribute("data-from")), fromIso(button.getAttribute("data-to"))]);
      });
    });
    $("#period-set").addEventListener("click", function () {
      if (chosen.length) {
        var a = dotted(chosen[0]), b = dotted(chosen[chosen.length - 1]);
        input.value = a === b ? a : a + " – " + b;
      }
      close();
    });
    $("#period-clear").addEventListener("click", function () { choose([]); input.value = ""; });
    $("#period-cancel").addEventListener("click", close);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); close(); }
    });
    document.addEventListener("mousedown", function (event) {
      if (!panel.hidden && !panel.contains(event.target) && event.target !== input && !opener.contains(event.target)) {
        panel.hidden = true;
        opener.setAttribute("aria-expanded", "false");
      }
    });
  }

  /* Keyboard first: the first field with an error, or the request name on a fresh form. */
  function initialFocus() {
    var invalid = $("form [aria-invalid='true']");
    if (invalid) { invalid.focus(); return; }
    if ($("#identity-err") && $("#f-oip")) { $("#f-oip").focus(); return; }
    var name = $(".request-form #f-name");
    if (name && !$(".notice--error")) { name.focus(); }
  }

  /* A group file chosen with «Выберите файл»: its name beside the button, a file over the limit refused at once
     (the server checks again), the button busy while the file goes up. */
  function fileField() {
    var input = $("#f-file"), name = $("#f-file-name"), tooBig = $("#f-file-size-err");
    if (!input || !name) { return; }
    var limit = +input.getAttribute("data-max-bytes") || 0;
    function oversized() { return limit && input.files && input.files.length && input.files[0].size > limit; }
    input.addEventListener("change", function () {
      name.textContent = input.files && input.files.length ? input.files[0].name : "Файл не выбран";
      var kept = $("#f-file-kept");  /* a file kept from the previous try is replaced by the new choice */
      if (kept && input.files && input.files.length) { kept.hidden = true; }
      if (tooBig) { tooBig.hidden = !oversized(); }
    });
    var form = input.form, submit = $("#submit");
    if (!form || !submit) { return; }
    form.addEventListener("submit", function (event) {
      if (oversized()) { event.preventDefault(); input.focus(); return; }
      setTimeout(function () { submit.disabled = true; submit.textContent = submit.getAttribute("data-busy"); }, 0);
    });
  }

  /* «Завершена обработка групповых запросов» (manual §5.3): on every page, each finished group once. */
  var NOTICE_DELAY_MS = 5000;

  function groupNotices() {
    var host = $("#group-notices");
    if (!host || !window.fetch) { return; }
    var shown = {};

    function close() {
      host.textContent = "";
      shown = {};
    }
    function popup() {
      var box = $(".popup", host);
      if (box) { return $(".popup__list", box); }
      box = document.createElement("section");
      box.className = "popup";
      box.setAttribute("role", "dialog");
      box.setAttribute("aria-labelledby", "popup-title");
      box.id = "group-popup";
      var title = document.createElement("h2");
      title.id = "popup-title";
      title.className = "popup__title";
      title.textContent = "Завершена обработка групповых запросов";
      var list = document.createElement("ul");
      list.className = "popup__list";
      var actions = document.createElement("div");
      actions.className = "popup__actions";
      var journal = document.createElement("a");
      journal.className = "btn btn--primary";
      journal.href = "/group/journal";
      journal.textContent = "Журнал Групповых запросов";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn";
      button.id = "popup-close";
      button.textContent = "Закрыть";
      button.addEventListener("click", close);
      actions.appendChild(journal);
      actions.appendChild(button);
      box.appendChild(title);
      box.appendChild(list);
      box.appendChild(actions);
      box.addEventListener("keydown", function (event) {
        if (event.key === "Escape") { event.preventDefault(); close(); }
      });
      host.appendChild(box);
      return list;
    }
    function show(notices) {
      var list = popup();
      notices.forEach(function (n) {
        if (shown[n.id]) { return; }
        shown[n.id] = true;
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = "/group/" + encodeURIComponent(n.id);
        link.textContent = n.name;  /* text, never markup */
        item.appendChild(link);
        if (n.recheck) {  /* a watch list's re-check (#22): how many people changed */
          var note = document.createElement("span");
          note.className = "notice__recheck";
          note.textContent = " — перепроверка: изменилось у " + n.changed + " из " + n.total;
          item.appendChild(note);
        }
        list.appendChild(item);
      });
    }
    function tick() {
      if (document.hidden) { setTimeout(tick, NOTICE_DELAY_MS); return; }
      fetch(host.getAttribute("data-url"), {credentials: "same-origin", cache: "no-store",
                                            headers: {"Accept": "application/json"}})
        .then(function (r) {
          if (r.status === 401 || r.status === 403) { return "stop"; }
          return r.ok ? r.json() : null;
        })
        .then(function (body) {
          if (body === "stop") { return "stop"; }
          if (body && body.notices && body.notices.length) { show(body.notices); }
          return null;
        })
        .catch(function () { return null; /* the next tick tries again */ })
        .then(function (state) { if (state !== "stop") { setTimeout(tick, NOTICE_DELAY_MS); } });
    }
    setTimeout(tick, 1000);
  }

  $all("[data-live]").forEach(live);
  captcha();
  dateFields();
  period();
  fileField();
  groupNotices();
  initialFocus();
}());

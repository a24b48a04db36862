/* The ballot's running total, worked out as projects are chosen and announced politely (the
   total's paragraph is an aria-live region). Without JavaScript, "Update the total" asks the
   server, which shows the same sentences. */
(function () {
  "use strict";
  var form = document.querySelector("[data-ballot]");
  if (!form) { return; }
  var cumulative = form.dataset.cumulative === "true";
  var locale = document.documentElement.lang || undefined;

  function fmt(value) { return Number(value).toLocaleString(locale); }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) { return key in values ? values[key] : whole; });
  }

  function update(section) {
    var cost = 0, count = 0, used = 0;
    section.querySelectorAll("input[data-cost]").forEach(function (input) {
      var points = cumulative ? (parseInt(input.value, 10) || 0) : (input.checked ? 1 : 0);
      if (points > 0) { cost += Number(input.dataset.cost); count += 1; used += points; }
    });
    var amount = Number(section.dataset.amount);
    var values = {
      name: section.dataset.name, cost: fmt(cost), amount: fmt(amount), currency: section.dataset.currency,
      left: fmt(amount - cost), over: fmt(cost - amount), used: fmt(used), points: fmt(section.dataset.points || 0),
      count: count, max: section.dataset.max
    };
    var text;
    if (cumulative) { text = fill(form.dataset.textPoints, values); }
    else {
      text = fill(cost <= amount ? form.dataset.textTotal : form.dataset.textOver, values);
      if (section.dataset.max) { text += " " + fill(form.dataset.textCount, values); }
    }
    var total = section.querySelector("[data-ballot-total]");
    if (total.textContent.trim() !== text) { total.textContent = text; }
  }

  form.querySelectorAll("[data-ballot-section]").forEach(function (section) {
    section.addEventListener("change", function () { update(section); });
    section.addEventListener("input", function () { update(section); });
  });
})();

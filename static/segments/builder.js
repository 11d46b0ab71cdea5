// The segment builder: a live count while the rule is edited, and buttons that add conditions.
(function () {
  "use strict";
  var form = document.getElementById("segment-form");
  if (!form) return;
  var editor = form.querySelector("textarea[name=rule]");
  var output = document.getElementById("live-count");
  var errors = document.getElementById("rule-errors");
  var schemas = JSON.parse(document.getElementById("segment-schemas").textContent);
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var timer = null;
  var latest = 0;

  function showErrors(items) {
    errors.replaceChildren();
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = item.field + ": " + item.message;
      errors.appendChild(li);
    });
  }

  function setCount(text, state) {
    output.textContent = text;
    output.dataset.state = state;
  }

  function update() {
    var rule;
    try {
      rule = JSON.parse(editor.value);
    } catch (error) {
      setCount("Rule is not valid JSON", "invalid");
      return;
    }
    var ticket = ++latest;
    setCount("Counting…", "busy");
    fetch(form.dataset.countUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(rule),
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok && !body.errors, body: body };
        });
      })
      .then(function (result) {
        if (ticket !== latest) return; // an older answer arriving late
        if (result.ok) {
          var n = result.body.count;
          setCount(n + (n === 1 ? " contact matches" : " contacts match"), "ok");
          showErrors([]);
        } else {
          setCount("Rule has problems", "invalid");
          showErrors(result.body.errors || []);
        }
      })
      .catch(function () {
        if (ticket === latest) setCount("Count unavailable", "invalid");
      });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(update, 300);
  }

  function firstSchema() {
    return schemas.length ? schemas[0] : { id: "schema-id", properties: [] };
  }

  function template(kind) {
    var schema = firstSchema();
    switch (kind) {
      case "count":
        return { type: "count", schemaId: schema.id, count: { op: ">=", value: 1 }, window: { type: "lastDays", days: 30 } };
      case "property": {
        var withProps = schemas.filter(function (s) { return s.properties.length; })[0] || schema;
        var prop = withProps.properties[0] || { name: "property", type: "number" };
        var where = { property: prop.name, op: "eq", value: "" };
        if (prop.type === "number" || prop.type === "integer") where = { property: prop.name, op: "gte", value: 1 };
        if (prop.type === "boolean") where = { property: prop.name, op: "isTrue" };
        if (prop.type === "date") where = { property: prop.name, op: "gte", value: new Date().toISOString().slice(0, 10) };
        return { type: "count", schemaId: withProps.id, count: { op: ">=", value: 1 }, window: { type: "allTime" }, where: [where] };
      }
      case "first":
      case "last":
        return { type: kind, schemaId: schema.id, op: "withinLastDays", days: 30 };
      case "never":
        return { type: "never", schemaId: schema.id };
      case "contactType":
        return { type: "contactType", values: ["Member"] };
      case "emailDomain":
        return { type: "emailDomain", values: ["example.com"] };
      default:
        return { type: "tag", name: "vip" };
    }
  }

  form.querySelectorAll("[data-add]").forEach(function (button) {
    button.addEventListener("click", function () {
      var rule;
      try {
        rule = JSON.parse(editor.value);
      } catch (error) {
        setCount("Fix the JSON before adding a condition", "invalid");
        return;
      }
      if (!rule || (rule.type !== "all" && rule.type !== "any")) {
        rule = { type: "all", rules: rule && rule.type ? [rule] : [] };
      }
      rule.rules.push(template(button.dataset.add));
      editor.value = JSON.stringify(rule, null, 2);
      update();
    });
  });

  editor.addEventListener("input", schedule);
  editor.addEventListener("change", function () {
    try {
      editor.value = JSON.stringify(JSON.parse(editor.value), null, 2);
    } catch (error) {
      // left as typed: the live count already says the JSON is not valid
    }
  });
  update();
})();

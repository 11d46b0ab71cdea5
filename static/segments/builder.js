// The segment builder page: draws the rule as a form (rule_groups.js, rule_form.js), keeps the
// hidden rule field, the plain-language summary and the Advanced JSON view in step with it, and
// shows the live count and a preview of matching contacts as the rule is edited (debounced).
(function () {
  "use strict";
  var NS = window.SegmentBuilder;
  var form = document.getElementById("segment-form");
  if (!form || !NS) return;
  var F = NS.ruleForm;
  var W = NS.words;
  var field = form.querySelector("input[name=rule]");
  var output = document.getElementById("live-count");
  var summary = document.getElementById("rule-summary");
  var pageErrors = document.getElementById("rule-errors");
  var preview = document.getElementById("rule-preview");
  var previewNote = document.getElementById("preview-note");
  var json = document.getElementById("rule-json");
  var jsonError = document.getElementById("rule-json-error");
  var choices = JSON.parse(document.getElementById("segment-choices").textContent);
  var saved = JSON.parse(document.getElementById("rule-problems").textContent);
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);
  var tree = new NS.Tree(document.getElementById("rule-form"), choices);
  var timer = null;
  var latest = 0;

  function setCount(text, state) {
    output.textContent = text;
    output.dataset.state = state;
  }

  function showPageErrors(problems) {
    pageErrors.replaceChildren();
    problems.forEach(function (problem) {
      pageErrors.appendChild(F.el("li", { text: W.problemWords(problem) }));
    });
  }

  function showPreview(rows) {
    preview.replaceChildren();
    rows.forEach(function (row) {
      var link = F.el("a", { href: form.dataset.contactsUrl + row.id + "/", text: row.name || row.email || "(no name)" });
      preview.appendChild(F.el("li", {}, [link, row.email && row.name ? F.el("span", { class: "muted small", text: " " + row.email }) : null]));
    });
  }

  function count(rule) {
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
          setCount(numbers.format(n) + (n === 1 ? " contact matches" : " contacts match"), "ok");
          showPageErrors(tree.showProblems([]));
          showPreview(result.body.preview || []);
          previewNote.textContent = n > (result.body.preview || []).length ? "The first " + result.body.preview.length + " by name." : "";
        } else {
          setCount("Fix the marked conditions", "invalid");
          showPageErrors(tree.showProblems(result.body.errors || []));
          showPreview([]);
          previewNote.textContent = "";
        }
      })
      .catch(function () {
        if (ticket === latest) setCount("Count unavailable", "invalid");
      });
  }

  // After every change: the hidden field, the summary and the JSON view now; the count soon.
  function changed(now) {
    var rule = tree.read();
    field.value = JSON.stringify(rule);
    summary.textContent = W.summary(rule, choices);
    if (json && document.activeElement !== json) json.value = JSON.stringify(rule, null, 2);
    clearTimeout(timer);
    if (now) count(rule);
    else timer = setTimeout(function () { count(tree.read()); }, 400);
  }

  function focusKey(row, key) {
    var target = key && row.querySelector('[data-key="' + key + '"]');
    if (target) target.focus();
  }

  function pathGet(object, key) {
    return key.split(".").reduce(function (at, part) { return at[part]; }, object);
  }

  function newCondition() {
    return F.defaultCondition(choices.schemas.length ? "schema:" + choices.schemas[0].id : "tag", choices);
  }

  function newWhere(schema) {
    var prop = schema.properties[0];
    var op = W.PROPERTY_OPS[prop.type][0][0];
    var where = { property: prop.name, op: op };
    if (op !== "isTrue") where.value = F.defaultValue(prop);
    return where;
  }

  function redraw(body, rule, key) {
    F.fillRow(body, rule, choices);
    focusKey(body, key);
  }

  function act(button) {
    var action = button.dataset.action;
    var item = button.closest(".rule-item");
    var body = button.closest(".row-body");
    var rule = body ? F.readCondition(body) : null;
    if (action === "add-condition" || action === "add-group") {
      var items = item.querySelector(":scope > .group-items");
      var added = action === "add-group" ? tree.group("all", [newCondition()]) : tree.row(newCondition(), false);
      if (action === "add-group" && tree.depthOf(item) + 1 >= NS.MAX_DEPTH) {
        setCount("Groups can nest at most " + NS.MAX_DEPTH + " levels deep", "invalid");
        return;
      }
      items.appendChild(added);
      var first = added.querySelector("select, input");
      if (first) first.focus();
    } else if (action === "remove-item") {
      var parent = item.parentElement.closest(".rule-group");
      var gone = parent && parent.dataset.kind === "not" ? parent : item;
      var host = gone.parentElement.closest(".rule-group");
      gone.remove();
      if (host) host.querySelector(":scope > .group-tools button").focus();
    } else if (action === "add-where") {
      rule.where = (rule.where || []).concat([newWhere(W.schemaOf(choices, rule.schemaId))]);
      redraw(body, rule, "where." + (rule.where.length - 1) + ".property");
    } else if (action === "remove-where") {
      rule.where.splice(Number(button.dataset.index), 1);
      F.fillRow(body, rule, choices);
      body.querySelector("[data-action=add-where]").focus();
    } else if (action === "add-value") {
      var list = pathGet(rule, button.dataset.listKey);
      var where = /^where\.(\d+)/.exec(button.dataset.listKey);
      var prop = where ? W.propertyOf(W.schemaOf(choices, rule.schemaId), rule.where[Number(where[1])].property) : null;
      list.push(where ? F.defaultValue(prop) : "");
      redraw(body, rule, button.dataset.listKey + "." + (list.length - 1));
    } else if (action === "remove-value") {
      pathGet(rule, button.dataset.listKey).splice(Number(button.dataset.index), 1);
      redraw(body, rule, button.dataset.listKey + ".0");
    }
    changed(false);
  }

  var host = document.getElementById("rule-form");
  host.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (button) act(button);
  });
  host.addEventListener("change", function (event) {
    var target = event.target;
    if (target.dataset.rebuild) {
      var body = target.closest(".row-body");
      redraw(body, F.changed(body, target, choices), target.dataset.key);
    }
    changed(false);
  });
  host.addEventListener("input", function (event) {
    if (event.target.tagName !== "SELECT") changed(false);
  });

  if (json) {
    document.getElementById("rule-json-apply").addEventListener("click", function () {
      var rule;
      try {
        rule = JSON.parse(json.value);
      } catch (error) {
        jsonError.textContent = "This is not valid JSON: " + error.message;
        return;
      }
      jsonError.textContent = "";
      tree.load(rule);
      json.value = "";
      changed(true);
    });
  }

  var initial;
  try {
    initial = JSON.parse(field.value || '{"type": "all", "rules": []}');
  } catch (error) {
    initial = { type: "all", rules: [] };
    showPageErrors([{ code: "invalid", message: "is not valid JSON" }]);
  }
  tree.load(initial);
  changed(true);
  if (saved.length) showPageErrors(tree.showProblems(saved));
})();

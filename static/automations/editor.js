// The automation editor's progressive disclosure. Without this script every field shows and the
// action rows take an order number and a Remove box; with it, only the fields that apply to the
// chosen trigger, entry rule and action types show (the others are disabled, so not posted), the
// property list follows the chosen schema, the value box takes the property's type, and actions
// are added, removed and moved with buttons.
(function () {
  "use strict";
  var form = document.getElementById("automation-editor");
  var data = document.getElementById("automation-editor-properties");
  if (!form || !data) return;
  var schemas = JSON.parse(data.textContent);
  var ORDERED = ["gt", "gte", "lt", "lte"];

  function control(name) { return form.elements.namedItem(name); }
  function valueOf(name) {
    var found = control(name);
    return found ? found.value : "";
  }
  function show(element, visible) {
    element.hidden = !visible;
    element.querySelectorAll("input, select, textarea").forEach(function (input) {
      input.disabled = !visible;
    });
  }

  // --- Fields that apply to the trigger and the entry rule ---------------------------------------
  function hasEmail() {
    return visibleRows().some(function (row) { return rowType(row) === "email"; });
  }
  function applyVisibility() {
    form.querySelectorAll("[data-show-when]").forEach(function (element) {
      if (element.closest(".action-row")) return;
      var rule = element.getAttribute("data-show-when");
      if (rule === "has-email") { element.hidden = !hasEmail(); return; }
      var parts = rule.split("=");
      show(element, valueOf(parts[0]) === parts[1]);
    });
    var specific = valueOf("trigger") === "specific_interaction";
    var perValue = form.querySelector("select[name=entry_rule] option[value=once_per_value]");
    if (perValue) {
      perValue.disabled = !specific;
      if (!specific && perValue.selected) control("entry_rule").value = "once";
    }
  }

  // --- The condition: properties of the chosen schema, operators and a value box that fit -------
  var propertySelect = control("property_name");
  var operatorSelect = control("operator");

  function chosenProperty() {
    var properties = schemas[valueOf("schema")] || [];
    return properties.filter(function (prop) { return prop.name === propertySelect.value; })[0];
  }

  function fillProperties() {
    var keep = propertySelect.value;
    var properties = schemas[valueOf("schema")] || [];
    propertySelect.textContent = "";
    propertySelect.add(new Option(properties.length ? "— choose —" : "— choose a kind first —", ""));
    properties.forEach(function (prop) {
      propertySelect.add(new Option(prop.label, prop.name, false, prop.name === keep));
    });
  }

  function fitOperators(prop) {
    var ordered = prop && (prop.type === "number" || prop.type === "integer" ||
      prop.format === "date" || prop.format === "date-time");
    var yesNo = prop && prop.type === "boolean";
    Array.prototype.forEach.call(operatorSelect.options, function (option) {
      var refused = (ORDERED.indexOf(option.value) >= 0 && !ordered) ||
        (option.value === "one_of" && yesNo);
      option.disabled = Boolean(refused);
      option.hidden = Boolean(refused);
    });
    if (operatorSelect.selectedOptions[0] && operatorSelect.selectedOptions[0].disabled) {
      operatorSelect.value = "equals";
    }
  }

  function currentValues(box) {
    if (box.multiple) {
      return Array.prototype.map.call(box.selectedOptions, function (option) { return option.value; });
    }
    return box.value === "" ? [] : [box.value];
  }

  function select(values, options, multiple) {
    var element = document.createElement("select");
    if (multiple) {
      element.multiple = true;
      element.size = Math.min(options.length, 6);
    } else {
      element.add(new Option("— choose —", ""));
    }
    var chosen = multiple ? values : values.slice(0, 1);
    options.forEach(function (pair) {
      element.add(new Option(pair[1], pair[0], false, chosen.indexOf(pair[0]) >= 0));
    });
    return element;
  }

  function input(type, value, step) {
    var element = document.createElement("input");
    element.type = type;
    if (step) element.step = step;
    element.value = value;
    return element;
  }

  function fitValueBox() {
    var box = control("condition_value");
    if (!box) return;
    var prop = chosenProperty();
    var many = operatorSelect.value === "one_of";
    var values = currentValues(box);
    var text = box.multiple ? values.join(", ") : box.value;
    if (!box.multiple && many) values = text.split(",").map(function (v) { return v.trim(); });
    var replacement;
    if (prop && prop.enum && prop.enum.length) {
      var options = prop.enum.map(function (value) {
        var shown = typeof value === "string" ? value : JSON.stringify(value);
        return [shown, shown];
      });
      replacement = select(values, options, many);
    } else if (prop && prop.type === "boolean") {
      replacement = select(values, [["true", "Yes"], ["false", "No"]], false);
    } else if (!many && prop && (prop.type === "number" || prop.type === "integer")) {
      replacement = input("number", text, prop.type === "integer" ? "1" : "any");
    } else if (!many && prop && prop.format === "date") {
      replacement = input("date", /^\d{4}-\d\d-\d\d$/.test(text) ? text : "");
    } else if (!many && prop && prop.format === "date-time" &&
               (text === "" || /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(text))) {
      replacement = input("datetime-local", text);
    } else {
      replacement = input("text", text);
    }
    replacement.name = box.name;
    replacement.id = box.id;
    var described = box.getAttribute("aria-describedby");
    if (described) replacement.setAttribute("aria-describedby", described);
    box.replaceWith(replacement);
    var hint = document.getElementById(box.id + "_helptext");
    if (hint) hint.hidden = !(many && replacement.tagName === "INPUT");
  }

  function fitCondition() {
    fitOperators(chosenProperty());
    fitValueBox();
  }

  // --- Action rows ---------------------------------------------------------------------------------
  var list = document.getElementById("action-rows");
  var template = document.getElementById("action-row-template");
  var total = control("actions-TOTAL_FORMS");
  var status = document.getElementById("action-status");
  var max = Number(list.getAttribute("data-max"));
  var addButton = document.createElement("button");
  addButton.type = "button";
  addButton.className = "add-action";
  addButton.textContent = "Add action";
  list.after(addButton);

  function visibleRows() {
    return Array.prototype.filter.call(list.children, function (row) { return !row.hidden; });
  }
  function rowType(row) {
    var type = row.querySelector("select[name$='-type']");
    return type ? type.value : "";
  }
  function say(message) { status.textContent = message; }

  function button(label, name, action) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = "link " + action;
    element.textContent = label;
    element.setAttribute("data-label", name);
    return element;
  }

  function equip(row) {
    row.querySelector(".order-controls").hidden = true;
    var tools = document.createElement("div");
    tools.className = "row-tools";
    tools.setAttribute("role", "group");
    tools.append(button("Move up", "up", "move-up"), button("Move down", "down", "move-down"),
      button("Remove", "remove", "remove"));
    row.querySelector("fieldset").append(tools);
    fitRow(row);
  }

  function fitRow(row) {
    var type = rowType(row);
    row.querySelectorAll("[data-action-type]").forEach(function (field) {
      show(field, field.getAttribute("data-action-type") === type);
    });
  }

  function renumber() {
    var rows = visibleRows();
    rows.forEach(function (row, index) {
      var number = String(index + 1);
      row.querySelector(".action-number").textContent = number;
      row.querySelector("input.position").value = number;
      row.querySelector(".move-up").disabled = index === 0;
      row.querySelector(".move-down").disabled = index === rows.length - 1;
      row.querySelector(".move-up").setAttribute("aria-label", "Move action " + number + " up");
      row.querySelector(".move-down").setAttribute("aria-label", "Move action " + number + " down");
      row.querySelector(".remove").setAttribute("aria-label", "Remove action " + number);
    });
    addButton.disabled = rows.length >= max;
    addButton.title = addButton.disabled ? "An automation takes at most " + max + " actions." : "";
    applyVisibility();
  }

  function addRow() {
    if (visibleRows().length >= max) return;
    var index = Number(total.value);
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.querySelector(".action-row");
    list.append(row);
    total.value = String(index + 1);
    equip(row);
    renumber();
    row.querySelector("select[name$='-type']").focus();
    say("Action " + visibleRows().length + " added.");
  }

  function removeRow(row) {
    var rows = visibleRows();
    var position = rows.indexOf(row);
    row.querySelector("input[name$='-DELETE']").checked = true;
    row.hidden = true;
    renumber();
    var rest = visibleRows();
    var next = rest[Math.min(position, rest.length - 1)];
    (next ? next.querySelector("select[name$='-type']") : addButton).focus();
    say("Action " + (position + 1) + " removed.");
  }

  function moveRow(row, step) {
    var rows = visibleRows();
    var position = rows.indexOf(row);
    var other = rows[position + step];
    if (!other) return;
    if (step < 0) other.before(row); else other.after(row);
    renumber();
    var again = row.querySelector(step < 0 ? ".move-up" : ".move-down");
    (again.disabled ? row.querySelector(step < 0 ? ".move-down" : ".move-up") : again).focus();
    say("Action moved to position " + (position + step + 1) + ".");
  }

  // --- Wiring ------------------------------------------------------------------------------------
  // A page shown again after a refusal lists the rows as posted; show them in the order asked for.
  function position(row) {
    var value = row.querySelector("input.position").value;
    return value === "" ? Infinity : Number(value);
  }
  Array.prototype.slice.call(list.children)
    .sort(function (a, b) { return position(a) - position(b); })
    .forEach(function (row) { list.append(row); });
  Array.prototype.forEach.call(list.children, function (row) {
    var removed = row.querySelector("input[name$='-DELETE']");
    if (removed && removed.checked) row.hidden = true;
    equip(row);
  });
  // The blank row the page offers for typing into is the Add button's job once there are actions.
  var rows = visibleRows();
  var last = rows[rows.length - 1];
  if (rows.length > 1 && last && rowType(last) === "" && !last.querySelector(".error")) {
    last.querySelector("input[name$='-DELETE']").checked = true;
    last.hidden = true;
  }

  addButton.addEventListener("click", addRow);
  list.addEventListener("click", function (event) {
    var target = event.target.closest("button");
    if (!target) return;
    var row = target.closest(".action-row");
    if (target.classList.contains("remove")) removeRow(row);
    else if (target.classList.contains("move-up")) moveRow(row, -1);
    else if (target.classList.contains("move-down")) moveRow(row, 1);
  });
  form.addEventListener("change", function (event) {
    var name = event.target.name || "";
    if (/^actions-\d+-type$/.test(name)) {
      fitRow(event.target.closest(".action-row"));
      applyVisibility();
    } else if (name === "trigger" || name === "entry_rule") {
      applyVisibility();
    } else if (name === "schema") {
      fillProperties();
      fitCondition();
    } else if (name === "property_name" || name === "operator") {
      fitCondition();
    }
  });

  fillProperties();
  fitCondition();
  renumber();
})();

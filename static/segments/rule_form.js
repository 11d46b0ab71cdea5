// The segment rule as a form: groups of condition rows built from pickers. The form is drawn
// from a rule document and read back into one, so every rule round-trips: keys a row does not
// show are carried along unchanged, and a value left as loaded is written back exactly as it was.
(function () {
  "use strict";
  var NS = (window.SegmentBuilder = window.SegmentBuilder || {});
  var W = NS.words;
  var MAX_WHERE = 10;
  var nextId = 0;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === undefined || value === null || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(child);
    });
    return node;
  }

  function uid() {
    nextId += 1;
    return "rb-" + nextId;
  }

  function clone(value) {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  }

  function today() {
    return new Date().toISOString().slice(0, 10);
  }

  // A labelled control. `key` is its place in the condition (a rule path relative to the row),
  // which is also where the server's problems about it point.
  function field(label, control, key, extraClass) {
    control.id = control.id || uid();
    control.dataset.key = key;
    control.dataset.label = label;
    return el("span", { class: "field" + (extraClass ? " " + extraClass : "") }, [
      el("label", { for: control.id, text: label }),
      control,
    ]);
  }

  function select(pairs, value, unknownLabel) {
    var node = el("select");
    var found = false;
    pairs.forEach(function (pair) {
      if (pair[0] === value) found = true;
      node.appendChild(el("option", { value: pair[0], text: pair[1] }));
    });
    if (!found && value !== undefined) {
      node.appendChild(el("option", { value: String(value), text: String(value) + " " + (unknownLabel || "(unknown)") }));
    }
    node.value = value === undefined ? pairs[0][0] : String(value);
    return node;
  }

  // An input showing `value`; read back as that same value for as long as it is left alone.
  function bound(input, value, text) {
    input.value = text;
    input._loaded = { value: value, text: input.value };
    return input;
  }

  function readBound(input, parse) {
    if (input._loaded && input.value === input._loaded.text) return clone(input._loaded.value);
    return parse(input.value);
  }

  function asNumber(text) {
    if (text.trim() === "") return null;
    var number = Number(text);
    return isNaN(number) ? text : number;
  }

  function asInstant(text) {
    return text ? text + "T00:00:00Z" : "";
  }

  // The end of a range of days includes its last day (bounds are inclusive).
  function asEndOfDay(text) {
    return text ? text + "T23:59:59Z" : "";
  }

  function asText(text) {
    return text;
  }

  function dateText(value) {
    return typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : "";
  }

  function numberInput(value, attrs) {
    var input = el("input", Object.assign({ type: "number", inputmode: "numeric" }, attrs || {}));
    input._parse = asNumber;
    return bound(input, value, value === null || value === undefined ? "" : String(value));
  }

  function dateInput(value, parse) {
    var input = el("input", { type: "date" });
    input._parse = parse;
    return bound(input, value, dateText(value));
  }

  function textInput(value, listId) {
    var input = el("input", { type: "text", list: listId, autocomplete: "off" });
    input._parse = asText;
    return bound(input, value, value === null || value === undefined ? "" : String(value));
  }

  function enumSelect(options, value) {
    var pairs = options.map(function (option) { return [String(option), String(option)]; });
    var node = select(pairs, value === undefined ? undefined : String(value), "(not an allowed value)");
    node._parse = asText;
    node._loaded = { value: value, text: node.value };
    return node;
  }

  // The typed input of one value of a property. A day picked for a date-time property is its
  // first instant, or its last where the day is the inclusive end (`end`).
  // `listId`: the datalist of values to suggest (a product fact's, from the catalog).
  function valueInput(type, prop, value, end, listId) {
    if (prop && prop.enum) return enumSelect(prop.enum, value);
    if (type === "number" || type === "integer") return numberInput(value, { step: "any", inputmode: "decimal" });
    if (type === "date") {
      var dateTime = prop && prop.format === "date-time";
      return dateInput(value, dateTime ? (end ? asEndOfDay : asInstant) : asText);
    }
    return textInput(value, listId);
  }

  function datalist(id, values) {
    return el("datalist", { id: id }, values.map(function (value) { return el("option", { value: value }); }));
  }

  // ---- reading a row back -------------------------------------------------------------------

  function control(row, key) {
    return row.querySelector('[data-key="' + key + '"]');
  }

  function readValue(row, key) {
    var node = control(row, key);
    return node ? readBound(node, node._parse || asText) : undefined;
  }

  function readList(row, key) {
    var items = row.querySelectorAll('[data-list="' + key + '"] [data-key]');
    return Array.prototype.map.call(items, function (node) { return readBound(node, node._parse || asText); });
  }

  function readWhere(row, index) {
    var base = "where." + index + ".";
    var where = { property: control(row, base + "property").value, op: control(row, base + "op").value };
    if (where.op === "in") where.values = readList(row, base + "values");
    else if (where.op === "between") {
      where.min = readValue(row, base + "min");
      where.max = readValue(row, base + "max");
    } else if (where.op !== "isTrue" && where.op !== "isFalse") where.value = readValue(row, base + "value");
    var box = row.querySelector('[data-where="' + index + '"]');
    return Object.assign({}, box._extra, where);
  }

  // The property conditions of a count, first or last row (kept as an empty list if loaded so).
  function readWheres(row, rule) {
    var wheres = row.querySelectorAll("[data-where]");
    if (wheres.length || row._omitted.emptyWhere === false) {
      rule.where = Array.prototype.map.call(wheres, function (box) { return readWhere(row, box.dataset.where); });
    }
  }

  function readCondition(row) {
    if (row._raw !== undefined) return clone(row._raw);
    var picked = control(row, row._pickerKey).value;
    var rule;
    if (picked.indexOf("schema:") === 0) {
      var what = control(row, "type").value;
      rule = { type: what, schemaId: picked.slice(7) };
      if (what === "count") {
        var op = control(row, "count.op").value;
        var count = op === "between"
          ? { op: op, min: readValue(row, "count.min"), max: readValue(row, "count.max") }
          : { op: op, value: readValue(row, "count.value") };
        var defaultCount = op === ">=" && count.value === 1;
        if (!(row._omitted.count && defaultCount)) rule.count = count;
        var kind = control(row, "window.type").value;
        var window = { type: kind };
        if (kind === "lastDays") window.days = readValue(row, "window.days");
        if (kind === "between") {
          window.from = readValue(row, "window.from");
          window.to = readValue(row, "window.to");
        }
        if (kind === "before" || kind === "after") window.date = readValue(row, "window.date");
        if (!(row._omitted.window && kind === "allTime")) rule.window = window;
        readWheres(row, rule);
      } else if (what === "first" || what === "last") {
        rule.op = control(row, "op").value;
        if (rule.op === "before" || rule.op === "after") rule.date = readValue(row, "date");
        else rule.days = readValue(row, "days");
        readWheres(row, rule);
      }
    } else if (picked === "tag") {
      rule = { type: "tag", name: readValue(row, "name") };
    } else {
      rule = { type: picked, values: readList(row, "values") };
    }
    return Object.assign({}, row._extra, rule);
  }

  // ---- drawing a row ------------------------------------------------------------------------

  function conditionPicker(rule, choices) {
    var node = el("select");
    var schemas = el("optgroup", { label: "Interactions" });
    var value = rule.schemaId !== undefined ? "schema:" + rule.schemaId : rule.type;
    var known = false;
    choices.schemas.forEach(function (schema) {
      if ("schema:" + schema.id === value) known = true;
      schemas.appendChild(el("option", { value: "schema:" + schema.id, text: schema.label }));
    });
    if (rule.schemaId !== undefined && !known) {
      schemas.appendChild(el("option", { value: value, text: rule.schemaId + " (no longer exists)" }));
    }
    var contact = el("optgroup", { label: "Contact" });
    W.CONTACT_FIELDS.forEach(function (pair) {
      contact.appendChild(el("option", { value: pair[0], text: pair[1] }));
    });
    node.appendChild(schemas);
    node.appendChild(contact);
    node.value = value;
    node.dataset.rebuild = "condition";
    return node;
  }

  function valueList(row, key, label, values, makeInput, listHost) {
    var caption = el("span", { class: "caption", id: uid(), text: label });
    var box = el("div", { class: "value-list", role: "group", "aria-labelledby": caption.id });
    box.dataset.list = key;
    values.forEach(function (value, index) {
      var input = makeInput(value);
      input.setAttribute("aria-label", label + " " + (index + 1));
      input.dataset.key = key + "." + index;
      input.dataset.label = label + " " + (index + 1);
      box.appendChild(el("span", { class: "value-item" }, [
        input,
        values.length > 1 ? el("button", {
          type: "button", class: "icon", text: "×", "aria-label": "Remove " + label.toLowerCase() + " " + (index + 1),
          "data-action": "remove-value", "data-index": index, "data-list-key": key,
        }) : null,
      ]));
    });
    box.appendChild(el("button", {
      type: "button", class: "small-button", text: "+ or", "aria-label": "Add another " + label.toLowerCase(),
      "data-action": "add-value", "data-list-key": key,
    }));
    listHost.appendChild(el("span", { class: "field" }, [caption, box]));
    return box;
  }

  function whereBox(row, where, index, schema) {
    var base = "where." + index + ".";
    var prop = W.propertyOf(schema, where.property);
    var type = prop ? prop.type : "unknown";
    var box = el("div", { class: "where-row", role: "group", "aria-label": "Property condition " + (index + 1) });
    box.dataset.where = index;
    var props = (schema ? schema.properties : []).map(function (p) { return [p.name, p.label]; });
    var propSelect = props.length || where.property !== undefined
      ? select(props.length ? props : [[where.property, where.property]], where.property, "(not available)")
      : select([["", "—"]], "");
    propSelect.dataset.rebuild = "where-property";
    box.appendChild(field("Property", propSelect, base + "property"));
    var opSelect = select(W.PROPERTY_OPS[type] || W.PROPERTY_OPS.unknown, where.op, "(does not fit)");
    opSelect.dataset.rebuild = "where-op";
    box.appendChild(field("Comparison", opSelect, base + "op"));
    var shown = [];
    var listId = null;
    if (prop && prop.suggestions && prop.suggestions.length) {
      listId = uid();
      box.appendChild(datalist(listId, prop.suggestions));
    }
    var make = function (value, end) { return valueInput(type, prop, value, end, listId); };
    if (where.op === "in") {
      shown = ["values"];
      valueList(row, base + "values", "Value", Array.isArray(where.values) ? where.values : [where.value], make, box);
    } else if (where.op === "between") {
      shown = ["min", "max"];
      box.appendChild(field("From", make(where.min), base + "min"));
      box.appendChild(field("To", make(where.max, true), base + "max"));
    } else if (where.op !== "isTrue" && where.op !== "isFalse") {
      shown = ["value"];
      box.appendChild(field("Value", make(where.value, where.op === "lte" || where.op === "gt"), base + "value"));
    }
    box._extra = {};
    Object.keys(where).forEach(function (name) {
      if (name !== "property" && name !== "op" && shown.indexOf(name) < 0) box._extra[name] = clone(where[name]);
    });
    box.appendChild(el("button", {
      type: "button", class: "icon remove", text: "×", "aria-label": "Remove property condition " + (index + 1),
      "data-action": "remove-where", "data-index": index,
    }));
    return box;
  }

  function countFields(row, rule, main) {
    var count = rule.count;
    row._omitted.count = count === undefined;
    if (!count) count = { op: ">=", value: 1 };
    var op = select(W.COUNT_OPS, count.op);
    op.dataset.rebuild = "count-op";
    main.appendChild(field("Count", op, "count.op"));
    if (count.op === "between") {
      main.appendChild(field("From", numberInput(count.min, { min: 0 }), "count.min", "short"));
      main.appendChild(field("To", numberInput(count.max, { min: 0 }), "count.max", "short"));
    } else {
      main.appendChild(field("Times", numberInput(count.value, { min: 0 }), "count.value", "short"));
    }
    var window = rule.window;
    row._omitted.window = window === undefined;
    if (!window) window = { type: "allTime" };
    var kind = select(W.WINDOWS, window.type);
    kind.dataset.rebuild = "window-type";
    main.appendChild(field("When", kind, "window.type"));
    if (window.type === "lastDays") main.appendChild(field("Days", numberInput(window.days, { min: 0 }), "window.days", "short"));
    if (window.type === "between") {
      main.appendChild(field("From date", dateInput(window.from, asInstant), "window.from"));
      main.appendChild(field("To date", dateInput(window.to, asEndOfDay), "window.to"));
    }
    if (window.type === "before" || window.type === "after") {
      main.appendChild(field("Date", dateInput(window.date, asInstant), "window.date"));
    }
  }

  function fillRow(row, rule, choices) {
    row.replaceChildren();
    row._raw = undefined;
    row._extra = {};
    row._omitted = {};
    if (!rule || typeof rule !== "object" || Array.isArray(rule)) rule = { raw: rule };
    var main = el("div", { class: "row-main" });
    var known = { type: 1 };
    var schemaBased = ["count", "first", "last", "never"].indexOf(rule.type) >= 0 && typeof rule.schemaId === "string";
    var contactBased = (rule.type === "contactType" || rule.type === "emailDomain") && Array.isArray(rule.values);
    if (!schemaBased && !contactBased && !(rule.type === "tag" && typeof rule.name === "string")) {
      // Not a condition the form knows: carried as it is, changed only in the JSON view.
      row._raw = "raw" in rule && Object.keys(rule).length === 1 ? clone(rule.raw) : clone(rule);
      row.appendChild(el("p", { class: "raw-condition", text: "A condition the form cannot show: " + JSON.stringify(row._raw) }));
      return;
    }
    row._pickerKey = schemaBased ? "schemaId" : "type";
    main.appendChild(field("Condition", conditionPicker(rule, choices), row._pickerKey, "wide"));
    var schema = schemaBased ? W.schemaOf(choices, rule.schemaId) : null;
    var whereHost = null;
    if (schemaBased) {
      known.schemaId = 1;
      var what = select(W.WHAT, rule.type);
      what.dataset.rebuild = "what";
      main.appendChild(field("What", what, "type", "wide"));
      if (rule.type === "count") {
        known.count = known.window = 1;
        countFields(row, rule, main);
      }
      if (rule.type === "first" || rule.type === "last") {
        known.op = 1;
        var op = select(W.WHEN_OPS, rule.op);
        op.dataset.rebuild = "when-op";
        main.appendChild(field("When", op, "op"));
        if (rule.op === "before" || rule.op === "after") {
          known.date = 1;
          main.appendChild(field("Date", dateInput(rule.date, asInstant), "date"));
        } else {
          known.days = 1;
          main.appendChild(field("Days", numberInput(rule.days, { min: 0 }), "days", "short"));
        }
      }
      if (rule.type !== "never") {
        // count, first and last: of the interactions meeting the property conditions.
        known.where = 1;
        whereHost = el("div", { class: "row-where" });
        row._omitted.emptyWhere = Array.isArray(rule.where) ? false : undefined;
        (rule.where || []).forEach(function (where, index) {
          whereHost.appendChild(whereBox(row, where, index, schema));
        });
        var canAdd = schema && schema.properties.length && (rule.where || []).length < MAX_WHERE;
        whereHost.appendChild(el("button", {
          type: "button", class: "small-button", "data-action": "add-where", disabled: !canAdd,
          text: "+ Property condition",
          title: schema && !schema.properties.length ? "This interaction has no properties marked for segmentation" : null,
        }));
      }
    } else if (rule.type === "tag") {
      known.name = 1;
      var listId = uid();
      main.appendChild(datalist(listId, choices.tags));
      main.appendChild(field("Tag", textInput(rule.name, listId), "name", "wide"));
    } else {
      known.values = 1;
      var isType = rule.type === "contactType";
      var label = isType ? "Contact type" : "Email domain";
      var typesId = isType ? uid() : null;
      if (isType) main.appendChild(datalist(typesId, choices.contactTypes));
      valueList(row, "values", label, rule.values, function (value) { return textInput(value, typesId); }, main);
    }
    Object.keys(rule).forEach(function (name) {
      if (!known[name]) row._extra[name] = clone(rule[name]);
    });
    row.appendChild(main);
    if (whereHost) row.appendChild(whereHost);
  }

  // ---- changing a row: read it, change the document, draw it again ---------------------------

  function defaultCondition(picked, choices) {
    if (picked.indexOf("schema:") === 0) {
      return { type: "count", schemaId: picked.slice(7), count: { op: ">=", value: 1 }, window: { type: "allTime" } };
    }
    if (picked === "tag") return { type: "tag", name: choices.tags[0] || "" };
    if (picked === "contactType") return { type: "contactType", values: [choices.contactTypes[0] || "Contact"] };
    return { type: "emailDomain", values: [""] };
  }

  function defaultValue(prop) {
    if (!prop) return "";
    if (prop.enum) return prop.enum[0];
    if (prop.type === "number" || prop.type === "integer") return null;
    if (prop.type === "date") return today();
    return "";
  }

  function changedWhere(where, op, prop) {
    var value = where.value !== undefined ? where.value : where.values ? where.values[0] : where.min;
    if (value === undefined) value = defaultValue(prop);
    var next = { property: where.property, op: op };
    if (op === "in") next.values = where.values || [value];
    else if (op === "between") {
      next.min = where.min !== undefined ? where.min : value;
      next.max = where.max !== undefined ? where.max : value;
    } else if (op !== "isTrue" && op !== "isFalse") next.value = value;
    return next;
  }

  function changed(row, target, choices) {
    var reason = target.dataset.rebuild;
    var rule = readCondition(row);
    var value = target.value;
    var schema = W.schemaOf(choices, rule.schemaId);
    if (reason === "condition") {
      if (value.indexOf("schema:") === 0 && rule.schemaId !== undefined) {
        rule.schemaId = value.slice(7);
        delete rule.where;
      } else rule = defaultCondition(value, choices);
    } else if (reason === "what") {
      var kept = value !== "never" && rule.where ? rule.where : undefined;
      rule = { type: value, schemaId: rule.schemaId };
      if (kept) rule.where = kept;
      if (value === "count") Object.assign(rule, { count: { op: ">=", value: 1 }, window: { type: "allTime" } });
      if (value === "first" || value === "last") Object.assign(rule, { op: "withinLastDays", days: 30 });
    } else if (reason === "count-op") {
      var old = rule.count || { op: ">=", value: 1 };
      var low = old.value !== undefined ? old.value : old.min;
      rule.count = value === "between" ? { op: value, min: low, max: old.max !== undefined ? old.max : low } : { op: value, value: low };
    } else if (reason === "window-type") {
      rule.window = { type: value };
      if (value === "lastDays") rule.window.days = 30;
      if (value === "between") Object.assign(rule.window, { from: asInstant(today()), to: asEndOfDay(today()) });
      if (value === "before" || value === "after") rule.window.date = asInstant(today());
    } else if (reason === "when-op") {
      var days = rule.days !== undefined ? rule.days : 30;
      var date = rule.date !== undefined ? rule.date : asInstant(today());
      var wheres = rule.where;
      rule = { type: rule.type, schemaId: rule.schemaId, op: value };
      if (wheres) rule.where = wheres;
      if (value === "before" || value === "after") rule.date = date;
      else rule.days = days;
    } else if (reason === "where-property" || reason === "where-op") {
      var index = Number(target.closest("[data-where]").dataset.where);
      var where = rule.where[index];
      var prop = W.propertyOf(schema, reason === "where-property" ? value : where.property);
      if (reason === "where-property") {
        var ops = W.PROPERTY_OPS[prop ? prop.type : "unknown"];
        rule.where[index] = changedWhere({ property: value, value: defaultValue(prop) }, ops[0][0], prop);
      } else rule.where[index] = changedWhere(where, value, prop);
    }
    return rule;
  }

  NS.ruleForm = {
    el: el,
    field: field,
    select: select,
    fillRow: fillRow,
    readCondition: readCondition,
    changed: changed,
    defaultCondition: defaultCondition,
    defaultValue: defaultValue,
    today: today,
    clone: clone,
    MAX_WHERE: MAX_WHERE,
  };
})();

/* The admin's interaction-schema builder: rows of properties <-> a JSON Schema document.
 *
 * The form posts the document as text in the json_schema textarea, which is also the "Raw JSON"
 * tab; in the "Properties" tab the rows produce it. The server checks it with the API's rules and,
 * when it refuses it, renders the page again with the posted text and the problems (in
 * #schema-builder-data); each problem is shown next to the input its field path names.
 *
 * Everything typed or sent by the server is set with .value or .textContent, never as HTML.
 */
(function () {
  "use strict";

  const DIALECT = "https://json-schema.org/draft/2020-12/schema";
  const FLAGS = ["showInContactCard", "addToSegmentation"];
  // Keywords whose value is a number.
  const NUMBERS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength"];
  const TEXTS = ["pattern", "title", "description"];
  // Every property keyword a row can show, in the order the builder writes them.
  const KEYWORDS = ["type", "format", "displayName", "sortOrder", ...FLAGS, "enum", ...NUMBERS, ...TEXTS];
  const NUMBER_TEXT = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

  const form = document.getElementById("schema-builder-form");
  const textarea = form.elements.namedItem("json_schema");
  const rowsBox = document.getElementById("property-rows");
  const rowTemplate = document.getElementById("property-row-template");
  const preview = document.getElementById("schema-preview");
  const problemList = document.getElementById("schema-problems");
  const rawNote = document.getElementById("raw-note");
  const counter = document.getElementById("segmentation-counter");
  const propertiesProblems = document.getElementById("properties-problems");
  const data = JSON.parse(document.getElementById("schema-builder-data").textContent);
  let mode = "raw";

  // --- Rows ----------------------------------------------------------------------------------

  function field(row, key) {
    return row.querySelector('[data-key="' + key + '"]');
  }

  function rows() {
    return Array.from(rowsBox.querySelectorAll(".property-row"));
  }

  function addRow() {
    rowsBox.appendChild(rowTemplate.content.cloneNode(true));
    const row = rowsBox.lastElementChild;
    field(row, "sortOrder").value = String(rows().length - 1);
    typeChanged(row);
    return row;
  }

  function typeChanged(row) {
    const type = field(row, "type").value;
    const format = field(row, "format");
    row.dataset.type = type;
    // Formats apply to strings; one set on another type (pasted) stays visible to be removed.
    format.disabled = type !== "string" && format.value === "";
  }

  // Display keywords may arrive as strings ("true", "0"); read them like the server does.
  function readFlag(value) {
    if (typeof value === "boolean") return value;
    const text = typeof value === "string" ? value.trim().toLowerCase() : "";
    return text === "true" || text === "false" ? text === "true" : null;
  }

  function readSortOrder(value) {
    if (typeof value === "number" && Number.isInteger(value)) return value;
    return typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : null;
  }

  function textOf(value) {
    return value === undefined || value === null ? "" : String(value);
  }

  // A scalar typed into a box: a number when it reads as one, else the text (the server says why
  // that is wrong).
  function numberOrText(text) {
    return NUMBER_TEXT.test(text.trim()) ? Number(text) : text;
  }

  // enum is typed as "a, b, c" when every value fits that, else as a JSON array.
  function enumToText(values, type) {
    const fits = Array.isArray(values) && values.every(function (value) {
      if (type === "string") {
        return typeof value === "string" && value !== "" && value === value.trim() &&
          !value.includes(",") && !value.startsWith("[");
      }
      return typeof value === (type === "boolean" ? "boolean" : "number");
    });
    return fits ? values.map(String).join(", ") : JSON.stringify(values);
  }

  function textToEnum(text, type) {
    if (text.trim().startsWith("[")) {
      try { return JSON.parse(text); } catch (error) { return text; }
    }
    return text.split(",").map(function (item) {
      const value = item.trim();
      if (type === "number" || type === "integer") return numberOrText(value);
      if (type === "boolean" && (value === "true" || value === "false")) return value === "true";
      return value;
    });
  }

  function fillRow(row, name, spec, required) {
    field(row, "name").value = name;
    field(row, "type").value = spec.type;
    field(row, "format").value = textOf(spec.format);
    field(row, "displayName").value = textOf(spec.displayName);
    field(row, "sortOrder").value = textOf(spec.sortOrder);
    FLAGS.forEach(function (key) { field(row, key).checked = readFlag(spec[key]) === true; });
    field(row, "required").checked = required;
    field(row, "enum").value = spec.enum === undefined ? "" : enumToText(spec.enum, spec.type);
    NUMBERS.concat(TEXTS).forEach(function (key) { field(row, key).value = textOf(spec[key]); });
    typeChanged(row);
  }

  function rowSpec(row) {
    const spec = {type: field(row, "type").value};
    const format = field(row, "format").value;
    if (format) spec.format = format;
    if (field(row, "displayName").value) spec.displayName = field(row, "displayName").value;
    if (field(row, "sortOrder").value.trim()) spec.sortOrder = numberOrText(field(row, "sortOrder").value);
    FLAGS.forEach(function (key) { if (field(row, key).checked) spec[key] = true; });
    if (field(row, "enum").value.trim()) spec.enum = textToEnum(field(row, "enum").value, spec.type);
    NUMBERS.forEach(function (key) {
      if (field(row, key).value.trim()) spec[key] = numberOrText(field(row, key).value);
    });
    TEXTS.forEach(function (key) {
      if (field(row, key).value) spec[key] = field(row, key).value;
    });
    return spec;
  }

  function documentFromRows() {
    const properties = Object.create(null); // so that a property may be called "__proto__"
    const required = [];
    rows().forEach(function (row) {
      const name = field(row, "name").value;
      properties[name] = rowSpec(row);
      if (field(row, "required").checked) required.push(name);
    });
    const schema = {$schema: DIALECT, type: "object", properties: properties};
    if (required.length) schema.required = required;
    return schema;
  }

  function rowsFromDocument(schema) {
    rowsBox.replaceChildren();
    const required = schema.required || [];
    Object.keys(schema.properties || {}).forEach(function (name) {
      const row = addRow();
      fillRow(row, name, schema.properties[name], required.includes(name));
    });
  }

  // The parts of a document the rows can't show (they would be lost by loading it into rows).
  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  function unshowable(schema) {
    if (!isObject(schema)) return ["jsonSchema"];
    const lost = Object.keys(schema)
      .filter(function (key) { return !["$schema", "type", "properties", "required"].includes(key); })
      .map(function (key) { return "jsonSchema." + key; });
    if (schema.type !== "object") lost.push("jsonSchema.type");
    const properties = schema.properties;
    if (!isObject(properties)) return lost.concat(["jsonSchema.properties"]);
    const required = schema.required === undefined ? [] : schema.required;
    if (!Array.isArray(required) || new Set(required).size !== required.length ||
        !required.every(function (name) { return Object.hasOwn(properties, name); })) {
      lost.push("jsonSchema.required");
    }
    const row = rowTemplate.content.cloneNode(true).firstElementChild;
    Object.keys(properties).forEach(function (name) {
      const spec = properties[name];
      const path = "jsonSchema.properties." + name;
      if (!isObject(spec)) { lost.push(path); return; }
      fillRow(row, name, spec, false);
      const shown = rowSpec(row);
      if (!("type" in spec)) lost.push(path + ".type");
      Object.keys(spec).forEach(function (key) {
        let same = JSON.stringify(spec[key]) === JSON.stringify(shown[key]);
        if (FLAGS.includes(key)) same = readFlag(spec[key]) === (shown[key] === true);
        if (key === "sortOrder") {
          same = readSortOrder(spec[key]) !== null && readSortOrder(spec[key]) === readSortOrder(shown[key]);
        }
        if (!KEYWORDS.includes(key) || !same) lost.push(path + "." + key);
      });
    });
    return lost;
  }

  // --- Modes ---------------------------------------------------------------------------------

  function setMode(next) {
    mode = next;
    document.getElementById("rows-panel").hidden = next !== "rows";
    document.getElementById("raw-panel").hidden = next !== "raw";
    document.getElementById("load-rows-row").hidden = next !== "raw";
    ["rows", "raw"].forEach(function (name) {
      const tab = document.getElementById("tab-" + name);
      tab.setAttribute("aria-selected", String(name === next));
      tab.classList.toggle("selected", name === next);
    });
    rawNote.hidden = true;
    if (next === "rows") updatePreview();
  }

  function showRaw() {
    if (mode === "rows") textarea.value = JSON.stringify(documentFromRows(), null, 2);
    setMode("raw");
  }

  function tellRaw(message) {
    rawNote.textContent = message;
    rawNote.hidden = false;
  }

  function loadRows() {
    const text = textarea.value.trim();
    let schema = {type: "object", properties: {}};
    if (text) {
      try {
        schema = JSON.parse(text);
      } catch (error) {
        tellRaw("This is not valid JSON, so it can't be shown as rows: " + error.message);
        return;
      }
    }
    const lost = unshowable(schema);
    if (lost.length) {
      tellRaw("The rows can't show " + lost.join(", ") + ". Edit them here (the server will say " +
        "what is wrong), or remove them to use the rows.");
      return;
    }
    rowsFromDocument(schema);
    if (!rows().length) addRow();
    setMode("rows");
  }

  function updatePreview() {
    preview.textContent = JSON.stringify(documentFromRows(), null, 2);
    updateCounter();
  }

  // "3 of 6 used for segmentation", and the limit said as the server says it once it is passed
  // (the server's message for the same limit, after a refused save, is this one too).
  function segmentationLimitMessage(ticked) {
    return "At most " + data.maxSegmentable + " properties can be added to segmentation; " +
      ticked + " are ticked.";
  }

  function updateCounter() {
    const ticked = rows().filter(function (row) {
      return field(row, "addToSegmentation").checked;
    }).length;
    counter.textContent = ticked + " of " + data.maxSegmentable + " used for segmentation";
    counter.classList.toggle("over-limit", ticked > data.maxSegmentable);
    propertiesProblems.replaceChildren();
    if (ticked > data.maxSegmentable) addItem(propertiesProblems, segmentationLimitMessage(ticked));
  }

  function addItem(list, message) {
    const item = document.createElement("li");
    item.textContent = message;
    list.appendChild(item);
  }

  // --- Problems ------------------------------------------------------------------------------

  function showProblem(input, message) {
    const cell = input.closest(".cell") || input.parentElement;
    let list = cell.querySelector("ul.errorlist");
    if (!list) {
      list = document.createElement("ul");
      list.className = "errorlist";
      cell.appendChild(list);
    }
    const item = document.createElement("li");
    item.textContent = message;
    list.appendChild(item);
    input.classList.add("has-error");
  }

  function clearProblem(input) {
    const cell = input.closest(".cell");
    const list = cell && cell.querySelector("ul.errorlist");
    if (list) list.remove();
    input.classList.remove("has-error");
  }

  // The row input a field path names ("jsonSchema.properties.price.minimum"), or null. Property
  // names may hold dots, so the longest row name that prefixes the path wins.
  function inputFor(path, required) {
    const requiredMatch = /^jsonSchema\.required\.(\d+)$/.exec(path);
    if (requiredMatch) {
      const name = required[Number(requiredMatch[1])];
      const row = rows().find(function (r) { return field(r, "name").value === name; });
      return row ? field(row, "required") : null;
    }
    let best = null;
    rows().forEach(function (row) {
      const prefix = "jsonSchema.properties." + field(row, "name").value;
      if (path !== prefix && !path.startsWith(prefix + ".")) return;
      if (!best || prefix.length > best.prefix.length) best = {row: row, prefix: prefix};
    });
    if (!best) return null;
    if (path === best.prefix) return field(best.row, "name");
    const key = path.slice(best.prefix.length + 1).split(".")[0];
    return KEYWORDS.includes(key) ? field(best.row, key) : null;
  }

  // Put each of the server's problems about the document next to its input; the rest, and all
  // of them in raw mode, stay in the list at the top. id and displayName are placed by the page.
  // Problems about the properties as a whole (their number, how many are segmentable) go under
  // the rows, by the counter, in the builder's words.
  function placeProblems(problems) {
    const required = documentFromRows().required || [];
    const unplaced = [];
    problems.forEach(function (problem) {
      if (problem.field === "id" || problem.field === "displayName") return;
      if (mode === "rows" && problem.field === "jsonSchema.properties") {
        const shown = Array.from(propertiesProblems.children).map(function (item) {
          return item.textContent;
        });
        if (!shown.includes(problem.message)) addItem(propertiesProblems, problem.message);
        return;
      }
      const input = mode === "rows" ? inputFor(problem.field, required) : null;
      if (input) showProblem(input, problem.message);
      else unplaced.push(problem);
    });
    problemList.replaceChildren();
    unplaced.forEach(function (problem) {
      addItem(problemList, problem.field + ": " + problem.message);
    });
  }

  // Two rows with one name would silently become one property: refuse that here.
  function duplicateNames() {
    const seen = new Map();
    let found = false;
    rows().forEach(function (row) {
      const input = field(row, "name");
      clearProblem(input);
      if (seen.has(input.value)) {
        showProblem(input, "another property above has this name");
        found = true;
      }
      seen.set(input.value, row);
    });
    return found;
  }

  // --- Wiring --------------------------------------------------------------------------------

  rowsBox.addEventListener("input", function (event) {
    clearProblem(event.target);
    updatePreview();
  });
  rowsBox.addEventListener("change", function (event) {
    const row = event.target.closest(".property-row");
    if (event.target.dataset.key === "type") {
      if (event.target.value !== "string") field(row, "format").value = "";
      typeChanged(row);
    }
    clearProblem(event.target);
    updatePreview();
  });
  rowsBox.addEventListener("click", function (event) {
    if (!event.target.classList.contains("remove-property")) return;
    event.target.closest(".property-row").remove();
    updatePreview();
  });
  document.getElementById("add-property").addEventListener("click", function () {
    field(addRow(), "name").focus();
    updatePreview();
  });
  document.getElementById("tab-rows").addEventListener("click", function () {
    if (mode !== "rows") loadRows();
  });
  document.getElementById("tab-raw").addEventListener("click", showRaw);
  document.getElementById("load-rows").addEventListener("click", loadRows);
  form.addEventListener("submit", function (event) {
    if (mode !== "rows") return;
    if (duplicateNames()) {
      event.preventDefault();
      return;
    }
    textarea.value = JSON.stringify(documentFromRows(), null, 2);
  });

  // Start in rows unless that would change the document: after a refused save, only if the rows
  // give back exactly what was posted; when duplicating, if they can show all of it.
  function start() {
    document.getElementById("builder-tabs").hidden = false;
    const text = textarea.value.trim();
    let schema = null;
    try { schema = text ? JSON.parse(text) : null; } catch (error) { schema = null; }
    if (!text) {
      addRow();
      setMode("rows");
    } else if (schema !== null && unshowable(schema).length === 0) {
      rowsFromDocument(schema);
      const exact = JSON.stringify(documentFromRows()) === JSON.stringify(schema);
      setMode(exact || !data.submitted ? "rows" : "raw");
    } else {
      setMode("raw");
    }
    placeProblems(data.problems);
  }

  start();
})();

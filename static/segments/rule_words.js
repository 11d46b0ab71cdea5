// The segment builder's words: the choices its pickers offer, the plain-language summary of a
// rule, and the plain message of each problem the server reports for a rule.
(function () {
  "use strict";
  var NS = (window.SegmentBuilder = window.SegmentBuilder || {});

  var COUNT_OPS = [[">=", "at least"], ["<=", "at most"], ["=", "exactly"], ["between", "between"]];
  var WINDOWS = [
    ["allTime", "at any time"],
    ["lastDays", "in the last … days"],
    ["between", "between two dates"],
    ["before", "before a date"],
    ["after", "after a date"],
  ];
  var WHEN_OPS = [
    ["withinLastDays", "within the last … days"],
    ["moreThanDaysAgo", "more than … days ago"],
    ["before", "before a date"],
    ["after", "after a date"],
  ];
  var WHAT = [
    ["count", "did it (how many times)"],
    ["first", "did it for the first time"],
    ["last", "did it for the last time"],
    ["never", "never did it"],
  ];
  var CONTACT_FIELDS = [["contactType", "Contact type"], ["emailDomain", "Email domain"], ["tag", "Tag"]];
  var GROUPS = [["all", "all"], ["any", "any"], ["none", "none"], ["notall", "not all"]];
  var NUMBER_OPS = [
    ["eq", "is"], ["ne", "is not"], ["in", "is one of"], ["lt", "is less than"], ["lte", "is at most"],
    ["gt", "is more than"], ["gte", "is at least"], ["between", "is between"],
  ];
  var PROPERTY_OPS = {
    number: NUMBER_OPS,
    integer: NUMBER_OPS,
    date: [
      ["eq", "is on"], ["ne", "is not on"], ["lt", "is before"], ["lte", "is on or before"],
      ["gt", "is after"], ["gte", "is on or after"], ["between", "is between"],
    ],
    string: [["eq", "is"], ["ne", "is not"], ["in", "is one of"], ["contains", "contains"]],
    boolean: [["isTrue", "is yes"], ["isFalse", "is no"]],
  };
  // A property the tenant's schemas no longer offer: every operator a rule may hold.
  PROPERTY_OPS.unknown = NUMBER_OPS.concat([["contains", "contains"], ["isTrue", "is yes"], ["isFalse", "is no"]]);

  function labelOf(pairs, value) {
    for (var i = 0; i < pairs.length; i++) if (pairs[i][0] === value) return pairs[i][1];
    return String(value);
  }

  function schemaOf(choices, id) {
    for (var i = 0; i < choices.schemas.length; i++) if (choices.schemas[i].id === id) return choices.schemas[i];
    return null;
  }

  function propertyOf(schema, name) {
    if (!schema) return null;
    for (var i = 0; i < schema.properties.length; i++) if (schema.properties[i].name === name) return schema.properties[i];
    return null;
  }

  function shown(value) {
    if (typeof value === "string") {
      // Dates read as the day they name.
      return /^\d{4}-\d{2}-\d{2}T/.test(value) ? value.slice(0, 10) : value;
    }
    if (typeof value === "boolean") return value ? "yes" : "no";
    if (typeof value === "number") return value.toLocaleString("en");
    return String(value);
  }

  function orList(values) {
    var items = (values || []).map(shown);
    if (items.length < 2) return items.join("");
    return items.slice(0, -1).join(", ") + " or " + items[items.length - 1];
  }

  function windowWords(window) {
    if (!window || window.type === "allTime") return "";
    if (window.type === "lastDays") return " in the last " + window.days + " day" + (window.days === 1 ? "" : "s");
    if (window.type === "between") return " between " + shown(window.from) + " and " + shown(window.to);
    return " " + window.type + " " + shown(window.date);
  }

  function countWords(count) {
    if (!count) return "at least 1";
    if (count.op === "between") return "between " + count.min + " and " + count.max;
    return labelOf(COUNT_OPS, count.op) + " " + count.value;
  }

  function whereWords(where, schema) {
    var prop = propertyOf(schema, where.property);
    var name = prop ? prop.label : where.property;
    var ops = PROPERTY_OPS[prop ? prop.type : "unknown"] || PROPERTY_OPS.unknown;
    var words = name + " " + labelOf(ops, where.op);
    if (where.op === "in") return words + " " + orList(where.values);
    if (where.op === "between") return words + " " + shown(where.min) + " and " + shown(where.max);
    if (where.op === "isTrue" || where.op === "isFalse") return words;
    return words + " " + shown(where.value);
  }

  function conditionWords(rule, choices) {
    var schema = rule.schemaId !== undefined ? schemaOf(choices, rule.schemaId) : null;
    var name = schema ? schema.label : rule.schemaId;
    switch (rule.type) {
      case "count": {
        var words = countWords(rule.count) + " × " + name + windowWords(rule.window);
        var wheres = (rule.where || []).map(function (w) { return whereWords(w, schema); });
        return wheres.length ? words + " where " + wheres.join(" and ") : words;
      }
      case "first":
      case "last": {
        var when = rule.op === "withinLastDays" ? "within the last " + rule.days + " days"
          : rule.op === "moreThanDaysAgo" ? "more than " + rule.days + " days ago"
          : rule.op + " " + shown(rule.date);
        var conditions = (rule.where || []).map(function (w) { return whereWords(w, schema); });
        var of = conditions.length ? " (of those where " + conditions.join(" and ") + ")" : "";
        return rule.type + " " + name + of + " " + when;
      }
      case "never":
        return "never " + name;
      case "contactType":
        return "contact type " + orList(rule.values);
      case "emailDomain":
        return "email domain " + orList(rule.values);
      case "tag":
        return "tagged " + rule.name;
      default:
        return "a condition only the JSON view shows";
    }
  }

  function ruleWords(rule, choices, nested) {
    if (!rule || typeof rule !== "object") return "a condition only the JSON view shows";
    if (rule.type === "all" || rule.type === "any") {
      var parts = (rule.rules || []).map(function (r) { return ruleWords(r, choices, true); });
      if (!parts.length) return rule.type === "all" ? "anything" : "nothing";
      var joined = parts.length === 1 ? parts[0]
        : parts.slice(0, -1).join(", ") + ", " + (rule.type === "all" ? "and " : "or ") + parts[parts.length - 1];
      return nested && parts.length > 1 ? "(" + joined + ")" : joined;
    }
    if (rule.type === "not") {
      var inner = rule.rule || {};
      if (inner.type === "any") return "none of (" + (inner.rules || []).map(function (r) { return ruleWords(r, choices, true); }).join("; ") + ")";
      return "not " + (inner.type === "all" || inner.type === "not" ? "" : "(") + ruleWords(inner, choices, true) + (inner.type === "all" || inner.type === "not" ? "" : ")");
    }
    return conditionWords(rule, choices);
  }

  function summary(rule, choices) {
    if (rule && rule.type === "all" && rule.rules && !rule.rules.length) return "All contacts (no conditions yet).";
    if (rule && rule.type === "any" && rule.rules && !rule.rules.length) return "No contacts (an “any” group without conditions).";
    return "Contacts with " + ruleWords(rule, choices, false) + ".";
  }

  function capital(text) {
    return text.charAt(0).toUpperCase() + text.slice(1).replace(/\.?$/, ".");
  }

  // A problem of the rule document ({field, code, message}) in the builder's own words.
  function problemWords(problem) {
    var field = problem.field || "";
    var message = problem.message || "";
    var last = field.split(".").pop();
    var number = (message.match(/(-?\d+(\.\d+)?)\s*$/) || [])[1];
    switch (problem.code) {
      case "required":
        return /values$/.test(field) || last === "rules" ? "Add at least one value." : "Fill this in.";
      case "type":
        if (/integer/.test(message)) return "Enter a whole number.";
        if (/number/.test(message)) return "Enter a number.";
        if (/date/.test(message)) return "Pick a date.";
        return "Enter a value.";
      case "minimum":
        return number !== undefined ? "Must be at least " + number + "." : "Too small.";
      case "maximum":
        return number !== undefined ? "Must be at most " + number + "." : "Too large.";
      case "format":
        return /must be between/.test(message) ? capital(message) : "Pick a date.";
      case "pattern":
        return last === "schemaId" ? "Pick an interaction." : "Enter a domain without @ or spaces, like example.com.";
      case "minLength":
        return "Fill this in.";
      case "maxLength":
        return "Too long.";
      case "enum":
        return /^must be one of .* for a/.test(message) ? "This comparison does not fit this property." : "Pick one of the choices.";
      case "limit":
        if (/deeper/.test(message)) return "Groups nest too deep: " + message.replace(/^nests groups deeper than/, "at most") + ".";
        if (/conditions/.test(message)) return "Too many conditions: " + message.replace(/^has more than/, "at most") + ".";
        return last === "where" ? "At most 10 property conditions." : "Too many values (at most 100).";
      case "unknown":
        return "Holds a setting this form does not know; remove it in the JSON view.";
      default:
        if (/^no interaction schema/.test(message)) return "This interaction no longer exists: pick another.";
        if (/has no property/.test(message)) return "This interaction has no such property: pick another.";
        if (/not segmentable/.test(message)) return "This property is not available for segments (its schema does not mark it “Add to segmentation”).";
        if (/not valid JSON/.test(message)) return "The JSON is not valid.";
        return capital(message);
    }
  }

  NS.words = {
    COUNT_OPS: COUNT_OPS,
    WINDOWS: WINDOWS,
    WHEN_OPS: WHEN_OPS,
    WHAT: WHAT,
    CONTACT_FIELDS: CONTACT_FIELDS,
    GROUPS: GROUPS,
    PROPERTY_OPS: PROPERTY_OPS,
    schemaOf: schemaOf,
    propertyOf: propertyOf,
    summary: summary,
    problemWords: problemWords,
  };
})();

// The segment rule's groups: "all", "any", "none" or "not all" of a list of conditions and
// groups, nested up to the rule's depth limit. Reads the whole form back into a rule document,
// noting where each row and group sits in it so that the server's problems land at the row.
(function () {
  "use strict";
  var NS = (window.SegmentBuilder = window.SegmentBuilder || {});
  var F = NS.ruleForm;
  var W = NS.words;
  var el = F.el;
  var MAX_DEPTH = 8;
  var GROUP_WORDS = { all: "all of these", any: "any of these", none: "none of these", notall: "not all of these" };

  function onlyKeys(object, keys) {
    var own = Object.keys(object);
    return own.length === keys.length && keys.every(function (key) { return own.indexOf(key) >= 0; });
  }

  function isGroup(rule, type) {
    return rule && typeof rule === "object" && rule.type === type && Array.isArray(rule.rules) && onlyKeys(rule, ["type", "rules"]);
  }

  function isNot(rule) {
    return rule && typeof rule === "object" && rule.type === "not" && rule.rule && typeof rule.rule === "object" && onlyKeys(rule, ["type", "rule"]);
  }

  function Tree(host, choices) {
    this.host = host;
    this.choices = choices;
  }

  Tree.prototype.item = function (rule) {
    if (isGroup(rule, "all") || isGroup(rule, "any")) return this.group(rule.type, rule.rules);
    if (isNot(rule)) {
      var inner = rule.rule;
      if (isGroup(inner, "any")) return this.group("none", inner.rules);
      if (isGroup(inner, "all")) return this.group("notall", inner.rules);
      if (isNot(inner)) return this.group("not", [inner]);
      return this.row(inner, true);
    }
    return this.row(rule, false);
  };

  Tree.prototype.row = function (rule, negated) {
    var body = el("div", { class: "row-body" });
    F.fillRow(body, rule, this.choices);
    var not = el("input", { type: "checkbox", "data-role": "negate" });
    not.checked = negated;
    not.id = "neg-" + Math.random().toString(36).slice(2);
    return el("div", { class: "rule-item rule-row", role: "group" }, [
      body,
      el("div", { class: "row-tools" }, [
        el("span", { class: "negate" }, [not, el("label", { for: not.id, text: "Not" })]),
        el("button", { type: "button", class: "icon remove", text: "×", "data-action": "remove-item" }),
      ]),
      el("ul", { class: "row-errors error", "aria-live": "polite" }),
    ]);
  };

  Tree.prototype.group = function (kind, rules, isRoot) {
    var self = this;
    var head = el("div", { class: "group-head" });
    if (kind === "not") {
      head.appendChild(el("span", { class: "group-word", text: "Not:" }));
    } else {
      var pairs = W.GROUPS.map(function (pair) { return [pair[0], GROUP_WORDS[pair[0]]]; });
      var match = F.select(pairs, kind);
      match.dataset.role = "group-kind";
      head.appendChild(F.field(isRoot ? "Contacts match" : "Match", match, "type"));
    }
    if (!isRoot) head.appendChild(el("button", { type: "button", class: "icon remove", text: "×", "data-action": "remove-item" }));
    var items = el("div", { class: "group-items" });
    rules.forEach(function (rule) { items.appendChild(self.item(rule)); });
    var group = el("div", { class: "rule-item rule-group" + (isRoot ? " root" : ""), role: "group" }, [
      head,
      items,
      el("p", { class: "empty-note muted small", text: "No conditions yet." }),
      kind === "not" ? null : el("div", { class: "group-tools" }, [
        el("button", { type: "button", class: "small-button", "data-action": "add-condition", text: "+ Condition" }),
        el("button", { type: "button", class: "small-button", "data-action": "add-group", text: "+ Group" }),
      ]),
      el("ul", { class: "row-errors error", "aria-live": "polite" }),
    ]);
    group.dataset.kind = kind;
    return group;
  };

  Tree.prototype.load = function (rule) {
    var root;
    if (isGroup(rule, "all") || isGroup(rule, "any")) root = this.group(rule.type, rule.rules, true);
    else if (isNot(rule) && (isGroup(rule.rule, "any") || isGroup(rule.rule, "all"))) {
      root = this.group(rule.rule.type === "any" ? "none" : "notall", rule.rule.rules, true);
    } else {
      // A lone condition stays one while it is alone; a second one makes an "all" group.
      root = this.group("all", [rule], true);
      root._bare = true;
    }
    root.setAttribute("aria-label", "Conditions");
    this.root = root;
    this.host.replaceChildren(root);
    this.read();
  };

  function kindOf(group) {
    var match = group.querySelector(':scope > .group-head [data-role="group-kind"]');
    return match ? match.value : group.dataset.kind;
  }

  function children(group) {
    return Array.prototype.slice.call(group.querySelector(":scope > .group-items").children);
  }

  // The rule the form shows, with where each row and group sits in it (this.places).
  Tree.prototype.read = function () {
    var self = this;
    var places = [];
    var counts = { row: 0, group: 0 };
    function read(node, path) {
      if (node.classList.contains("rule-row")) {
        counts.row += 1;
        var name = "Condition " + counts.row;
        node.setAttribute("aria-label", name);
        node.querySelector(":scope > .row-tools [data-action=remove-item]").setAttribute("aria-label", "Remove condition " + counts.row);
        var negated = node.querySelector(":scope > .row-tools [data-role=negate]").checked;
        var body = node.querySelector(":scope > .row-body");
        body.querySelectorAll("[data-where]").forEach(function (box) {
          box.setAttribute("aria-label", name + ", property condition " + (Number(box.dataset.where) + 1));
        });
        var condition = F.readCondition(body);
        places.push([negated ? path + ".rule" : path, node]);
        if (negated) places.push([path, node]);
        return negated ? { type: "not", rule: condition } : condition;
      }
      var kind = kindOf(node);
      if (node !== self.root) {
        counts.group += 1;
        node.setAttribute("aria-label", "Group " + counts.group);
        node.querySelector(":scope > .group-head [data-action=remove-item]").setAttribute("aria-label", "Remove group " + counts.group);
      }
      var items = children(node);
      node.classList.toggle("empty", items.length === 0);
      places.push([path, node]);
      if (node === self.root && node._bare && kind === "all" && items.length === 1) return read(items[0], path);
      if (kind === "not") return { type: "not", rule: read(items[0], path + ".rule") };
      var inner = kind === "none" || kind === "notall" ? path + ".rule" : path;
      if (inner !== path) places.push([inner, node]);
      var rules = items.map(function (child, index) { return read(child, inner + ".rules." + index); });
      var type = kind === "any" || kind === "none" ? "any" : "all";
      var group = { type: type, rules: rules };
      return inner === path ? group : { type: "not", rule: group };
    }
    var rule = read(this.root, "rule");
    this.places = places;
    return rule;
  };

  Tree.prototype.depthOf = function (node) {
    var depth = 0;
    for (var at = node; at && at !== this.host; at = at.parentElement) if (at.classList.contains("rule-group")) depth += 1;
    return depth;
  };

  // Shows each problem ({field, code, message}) at the row or group it is about, in plain words;
  // returns those that belong to no row.
  Tree.prototype.showProblems = function (problems) {
    var self = this;
    this.host.querySelectorAll(".row-errors").forEach(function (list) { list.replaceChildren(); });
    this.host.querySelectorAll("[aria-invalid]").forEach(function (node) {
      node.removeAttribute("aria-invalid");
      node.removeAttribute("aria-describedby");
    });
    var rest = [];
    (problems || []).forEach(function (problem) {
      var field = problem.field || "";
      var best = null;
      (self.places || []).forEach(function (place) {
        var path = place[0];
        if ((field === path || field.indexOf(path + ".") === 0) && (!best || path.length > best[0].length)) best = place;
      });
      if (!best) {
        rest.push(problem);
        return;
      }
      var node = best[1];
      var relative = field.slice(best[0].length + 1);
      var target = null;
      if (node.classList.contains("rule-row") && relative) {
        var parts = relative.split(".");
        for (var n = parts.length; n > 0 && !target; n--) {
          target = node.querySelector(':scope > .row-body [data-key="' + parts.slice(0, n).join(".") + '"]');
        }
      }
      var list = node.querySelector(":scope > .row-errors");
      var item = el("li", { text: (target ? target.dataset.label + ": " : "") + W.problemWords(problem) });
      item.id = "err-" + Math.random().toString(36).slice(2);
      list.appendChild(item);
      if (target) {
        target.setAttribute("aria-invalid", "true");
        target.setAttribute("aria-describedby", item.id);
      }
    });
    return rest;
  };

  NS.Tree = Tree;
  NS.MAX_DEPTH = MAX_DEPTH;
})();

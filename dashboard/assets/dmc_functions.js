// Functions passed by name to Mantine components ({"function": "<name>"}).
var dmcfuncs = (window.dashMantineFunctions = window.dashMantineFunctions || {});

// Select/MultiSelect filter: every word typed must appear in the option's label, in any
// order ("poland f-35" finds "Poland — F-35A Lightning II (POL/F-35A)").
dmcfuncs.everyWord = function ({ options, search, limit }) {
  var words = (search || "").toLowerCase().split(/[\s—,()]+/).filter(Boolean);
  var hits = function (item) {
    var text = (item.label + " " + item.value).toLowerCase();
    return words.every(function (w) { return text.indexOf(w) !== -1; });
  };
  var out = [];
  for (var i = 0; i < options.length && out.length < limit; i++) {
    var o = options[i];
    if (o.items) {
      var items = o.items.filter(hits);
      if (items.length) { out.push({ group: o.group, items: items }); }
    } else if (hits(o)) {
      out.push(o);
    }
  }
  return out;
};

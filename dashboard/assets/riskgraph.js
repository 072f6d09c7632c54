// riskgraph dashboard: document-level accessibility fixes Dash components cannot express.
// (Checked by axe-core in tests/browser/test_accessibility.py.)
(function () {
  // The page's language, for screen readers and hyphenation (Dash's index page has none).
  document.documentElement.lang = "en";
  // dcc.Upload renders a hidden file input with no name: label it from the drop zone.
  function labelInputs() {
    document.querySelectorAll("input[type=file]:not([aria-label])").forEach(function (el) {
      el.setAttribute("aria-label", "Upload data package files (.zip, .csv or .toml)");
    });
  }
  new MutationObserver(labelInputs).observe(document.documentElement,
                                            { childList: true, subtree: true });
  labelInputs();
})();

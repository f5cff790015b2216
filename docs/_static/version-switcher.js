// The version switcher: lists `latest` and the released versions of the package whose pages
// are shown (every package's releases on the other pages), read from the site's
// versions.json, and keeps the reader on the same page when switching.
(function () {
  "use strict";

  function start() {
    var box = document.querySelector(".bricolage-versions");
    if (!box) return;
    var select = box.querySelector("select");
    var buildRoot = new URL(box.dataset.buildRoot || "./", window.location.href);
    var siteRoot = new URL(box.dataset.siteRoot, buildRoot);
    var page = window.location.href.slice(buildRoot.href.length).split("#")[0];
    var match = /^packages\/([a-z0-9]+)\//.exec(page);
    var pagePackage = box.dataset.package || (match ? match[1] : "");

    fetch(new URL("versions.json", siteRoot))
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (site) {
        if (!site) return;
        select.textContent = "";
        function add(label, build, path, current) {
          var option = document.createElement("option");
          option.textContent = label;
          option.value = new URL(build + path, siteRoot).href;
          option.selected = current;
          select.appendChild(option);
        }
        add("latest", site.latest, page, box.dataset.current === "latest");
        Object.keys(site.packages).sort().forEach(function (name) {
          if (pagePackage && name !== pagePackage) return;
          site.packages[name].forEach(function (release) {
            var path = pagePackage ? page : "packages/" + name + "/index.html";
            var current = box.dataset.package === name && box.dataset.current === release.version;
            add("bricolage-" + name + " " + release.version, release.path, path, current);
          });
        });
        select.addEventListener("change", function () {
          window.location.href = select.value;
        });
      })
      .catch(function () { /* no versions.json: a single-version build */ });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

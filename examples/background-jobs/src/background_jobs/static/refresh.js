// Keeps the two job tables current: fetches their HTML every second and swaps it in,
// unless keyboard focus is inside a table (swapping would lose the user's place).
(function () {
  "use strict";
  const script = document.currentScript;
  const url = script.dataset.url;
  const regions = ["jobs", "dead"];
  async function refresh() {
    let response;
    try {
      response = await fetch(url, { headers: { Accept: "application/json" } });
    } catch (error) {
      return;
    }
    if (!response.ok) {
      return;
    }
    const data = await response.json();
    for (const name of regions) {
      const region = document.getElementById(name);
      if (region && !region.contains(document.activeElement) && region.innerHTML !== data[name]) {
        region.innerHTML = data[name];
      }
    }
  }
  setInterval(refresh, 1000);
})();

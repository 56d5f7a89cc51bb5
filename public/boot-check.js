// Runs before the app's bundle (a plain script from the origin, as the CSP requires). If the
// bundle cannot start — a cached index-*.js that is corrupt or truncated fails to parse, or the
// page stays empty — the service worker's caches are dropped and the page loads once more from
// the network. A second failure in the same tab shows a message instead of a blank page.
(function () {
  var KEY = 'kube-packet-lab-recovered';
  var done = false;

  function started() {
    var root = document.getElementById('root');
    return !!(root && root.childElementCount > 0);
  }

  function recover(reason) {
    if (done || started()) return;
    done = true;
    var tried = false;
    try {
      tried = sessionStorage.getItem(KEY) === '1';
      sessionStorage.setItem(KEY, '1');
    } catch (e) {
      tried = true;
    }
    if (!tried && window.caches) {
      caches
        .keys()
        .then(function (keys) {
          return Promise.all(keys.filter(function (k) { return k.indexOf('kube-packet-lab-') === 0; }).map(function (k) { return caches.delete(k); }));
        })
        .then(function () { location.reload(); }, function () { location.reload(); });
      return;
    }
    var root = document.getElementById('root');
    if (!root) return;
    var p = document.createElement('p');
    p.setAttribute('role', 'alert');
    p.style.cssText = 'font: 16px system-ui, sans-serif; color: #e6e6e6; padding: 2rem; max-width: 40rem';
    p.textContent = 'kube-packet-lab could not start (' + reason + '). Its saved copy was cleared; check the connection and reload the page.';
    root.appendChild(p);
  }

  // a script of the app that fails to load or parse
  window.addEventListener(
    'error',
    function (e) {
      var target = e.target;
      var file = (target && target.src) || e.filename || '';
      if (file.indexOf('/assets/') >= 0) recover(e.message || 'a script failed to load');
    },
    true,
  );
  // or nothing drawn long after the page loaded
  window.addEventListener('load', function () {
    setTimeout(function () {
      if (started()) {
        try {
          sessionStorage.removeItem(KEY);
        } catch (e) {}
      } else recover('nothing was drawn');
    }, 8000);
  });
})();

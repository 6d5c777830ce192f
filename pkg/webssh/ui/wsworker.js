// The page's websocket in a dedicated worker, handing the output to the
// page through shared memory (see webssh.js, openShared, and
// docs/webssh.md "Command echo"). After a typed key Chromium holds every
// task of the page (websocket messages, postMessage, fetch) until its next
// frame; a worker's thread is not held, and the page's Atomics.waitAsync
// is woken by a V8 task, which is not held either.
//
// The shared buffer: four Int32 words (write position, read position,
// wake-up counter, unused), then the ring of output bytes. Positions count
// bytes modulo 2^30; the ring's size is a power of two dividing 2^30.
// Page -> worker: {url, sab} first, then an ArrayBuffer to send, or
// 'close'. Worker -> page: 'open', {notice: text}, {closed: true}; the
// output only through the ring.
'use strict';
var MOD = 0x40000000;
var sock = null;
var ctl = null, ring = null, size = 0;
var waiting = [];  // output that did not fit in the ring yet, in order
var flushing = false;
var closing = false; // the socket closed: tell the page once waiting is empty

// put copies as much of waiting into the ring as fits and wakes the page.
function put() {
  var w = ctl[0], r = Atomics.load(ctl, 1);
  var free = size - ((w - r + MOD) % MOD);
  var moved = 0;
  while (waiting.length && free > 0) {
    var u = waiting[0];
    var n = Math.min(free, u.length);
    var at = w % size;
    var first = Math.min(n, size - at);
    ring.set(u.subarray(0, first), at);
    if (n > first) ring.set(u.subarray(first, n), 0);
    w = (w + n) % MOD;
    free -= n;
    moved += n;
    if (n === u.length) waiting.shift();
    else waiting[0] = u.subarray(n);
  }
  if (moved) {
    Atomics.store(ctl, 0, w);
    Atomics.add(ctl, 2, 1);
    Atomics.notify(ctl, 2);
  }
  // A full ring: wait for the page to read (the server's flow control
  // keeps this rare: the page acknowledges output once drawn).
  if (closing && !waiting.length) {
    closing = false;
    self.postMessage({ closed: true });
  }
  if (waiting.length && !flushing) {
    flushing = true;
    var res = Atomics.waitAsync(ctl, 1, r);
    var again = function () { flushing = false; put(); };
    if (res.async) res.value.then(again); else again();
  }
}

self.onmessage = function (ev) {
  var m = ev.data;
  if (!sock) {
    if (!m || typeof m.url !== 'string' || !(m.sab instanceof SharedArrayBuffer)) return;
    ctl = new Int32Array(m.sab, 0, 4);
    ring = new Uint8Array(m.sab, 16);
    size = ring.length;
    sock = new WebSocket(m.url);
    sock.binaryType = 'arraybuffer';
    sock.onopen = function () { self.postMessage('open'); };
    sock.onmessage = function (e) {
      if (typeof e.data === 'string') {
        self.postMessage({ notice: e.data });
        return;
      }
      waiting.push(new Uint8Array(e.data));
      put();
    };
    sock.onclose = function () { closing = true; put(); };
    return;
  }
  if (m === 'close') sock.close();
  else if (m instanceof ArrayBuffer && sock.readyState === WebSocket.OPEN) sock.send(m);
};

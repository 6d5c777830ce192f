// The key bar of touch screens: the keys a phone's keyboard lacks (Esc,
// Tab, Ctrl, the arrows, and | ~ / that hide on its second or third page).
// It is shown only where the primary pointer is a finger; a desktop never
// sees it. Keys go in through term.input, i.e. exactly as if typed: the
// page's onData sends them. Ctrl is sticky: tap it, then a key (on the bar
// or the phone's keyboard) and that key is sent with Ctrl; tapping Ctrl
// again cancels it.
//
// WebsshKeybar(term) builds the bar and returns {el, ctrl, modify}:
// modify(data) applies a pending Ctrl to typed data (the page calls it
// on all input); ctrl() tells whether Ctrl is pending.
(function () {
  'use strict';

  // isTouch: the primary pointer is a finger. A laptop with a touch
  // screen but a mouse or touchpad as its primary pointer is a desktop.
  function isTouch() {
    if (window.matchMedia) return window.matchMedia('(pointer: coarse)').matches;
    return (navigator.maxTouchPoints || 0) > 0;
  }

  // withCtrl is what a terminal sends for Ctrl plus one character: the
  // control code of letters and @[\]^_ (and ? for DEL, space for NUL),
  // else the character itself.
  function withCtrl(ch) {
    if (ch.length !== 1) return ch;
    var c = ch.charCodeAt(0);
    if (c >= 0x61 && c <= 0x7a) return String.fromCharCode(c - 0x60); // a-z
    if (c >= 0x40 && c <= 0x5f) return String.fromCharCode(c - 0x40); // @ A-Z [ \ ] ^ _
    if (ch === '?') return '\x7f';
    if (ch === ' ' || ch === '2') return '\x00';
    if (ch === '/') return '\x1f';
    return ch;
  }

  var arrows = {left: 'D', up: 'A', down: 'B', right: 'C'};

  window.WebsshKeybar = function (term) {
    var ctrl = false;
    var bar = document.createElement('div');
    bar.id = 'keybar';
    bar.setAttribute('role', 'toolbar');
    bar.setAttribute('aria-label', 'keys 按键');
    var ctrlBtn = null;

    function setCtrl(on) {
      ctrl = on;
      if (ctrlBtn) ctrlBtn.setAttribute('aria-pressed', on ? 'true' : 'false');
    }

    function arrow(dir) {
      var f = arrows[dir];
      if (ctrl) return '\x1b[1;5' + f;
      return (term.modes && term.modes.applicationCursorKeysMode ? '\x1bO' : '\x1b[') + f;
    }

    var keys = [
      {label: 'Esc', send: function () { return '\x1b'; }},
      {label: 'Tab', send: function () { return '\t'; }},
      {label: 'Ctrl', ctrl: true},
      {label: '\u2190', name: 'left', send: function () { return arrow('left'); }},
      {label: '\u2191', name: 'up', send: function () { return arrow('up'); }},
      {label: '\u2193', name: 'down', send: function () { return arrow('down'); }},
      {label: '\u2192', name: 'right', send: function () { return arrow('right'); }},
      {label: '|', send: function () { return ctrl ? withCtrl('|') : '|'; }},
      {label: '~', send: function () { return '~'; }},
      {label: '/', send: function () { return ctrl ? withCtrl('/') : '/'; }},
    ];
    keys.forEach(function (k) {
      var b = document.createElement('button');
      b.type = 'button';
      b.tabIndex = -1;
      b.textContent = k.label;
      b.setAttribute('data-key', k.name || k.label);
      if (k.name) b.setAttribute('aria-label', k.name);
      // Keep the focus (and the phone's keyboard) on the terminal.
      b.addEventListener('pointerdown', function (e) { e.preventDefault(); });
      b.addEventListener('mousedown', function (e) { e.preventDefault(); });
      b.addEventListener('click', function (e) {
        e.preventDefault();
        if (k.ctrl) {
          setCtrl(!ctrl);
        } else {
          var s = k.send();
          setCtrl(false);
          term.input(s, true);
        }
        term.focus();
      });
      if (k.ctrl) {
        ctrlBtn = b;
        b.setAttribute('aria-pressed', 'false');
      }
      bar.appendChild(b);
    });
    document.body.appendChild(bar);

    function show() {
      var on = isTouch();
      document.body.classList.toggle('touch', on);
      bar.hidden = !on;
    }
    show();
    if (window.matchMedia) {
      var mq = window.matchMedia('(pointer: coarse)');
      if (mq.addEventListener) mq.addEventListener('change', show);
    }
    // The phone's keyboard shrinks the visual viewport: keep the bar (and
    // the terminal's last row) above it.
    if (window.visualViewport) {
      var fitViewport = function () {
        document.body.style.height = document.body.classList.contains('touch') ? window.visualViewport.height + 'px' : '';
      };
      window.visualViewport.addEventListener('resize', fitViewport);
    }

    return {
      el: bar,
      ctrl: function () { return ctrl; },
      modify: function (d) {
        if (!ctrl || d.length !== 1) return d;
        setCtrl(false);
        return withCtrl(d);
      },
    };
  };
})();

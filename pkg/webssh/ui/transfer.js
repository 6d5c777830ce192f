// Files through the terminal (docs/webssh.md, "Files"). The server
// announces each session that takes files with OSC 5379 ; session=ID ;
// max=BYTES (the size limit) in its output; from then on files dropped
// on the page, or picked with the upload button (also on the touch key
// bar), go to POST upload, one after the other, each with a progress bar
// and a cancel button; the server writes them, as the user who logged
// in, into the directory of the terminal's foreground program. `webssh
// get FILE` in the terminal prints OSC 5379 ; get=TOKEN: the page fetches
// the file with POST download and saves it as a download. Nothing here
// trusts the terminal's output: an id or token that a program printed is
// only a string the server refuses.
(function () {
  'use strict';
  var ws = window.webssh;
  if (!ws || !ws.term || !ws.term.parser) return;
  var term = ws.term;
  var base = location.pathname.replace(/[^/]*$/, '');
  var session = '';
  var maxBytes = 0; // the server's upload_max_mb, in bytes
  var queue = [];   // uploads waiting: {file, item}
  var busy = false; // an upload runs

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  var panel = el('div', 'xfer-list');
  panel.id = 'transfers';
  panel.setAttribute('aria-live', 'polite');
  document.body.appendChild(panel);

  var picker = el('input');
  picker.type = 'file';
  picker.multiple = true;
  picker.id = 'upload-input';
  picker.hidden = true;
  document.body.appendChild(picker);
  picker.addEventListener('change', function () {
    upload(picker.files);
    picker.value = '';
  });

  function pickButton(cls) {
    var b = el('button', cls, '\u21ea');
    b.type = 'button';
    b.tabIndex = -1;
    b.title = 'Upload files to the current directory / 上传文件到当前目录';
    b.setAttribute('aria-label', 'upload 上传');
    b.setAttribute('data-key', 'upload');
    b.addEventListener('pointerdown', function (e) { e.preventDefault(); });
    b.addEventListener('click', function () { picker.click(); });
    return b;
  }
  var button = pickButton('xfer-button');
  button.id = 'upload-button';
  button.hidden = true;
  document.body.appendChild(button);
  var barButton = null;

  var overlay = el('div', 'xfer-drop', 'Drop files to upload them to the current directory\n拖放文件以上传到当前目录');
  overlay.hidden = true;
  document.body.appendChild(overlay);

  function mb(n) {
    if (n < 1e3) return n + ' B';
    if (n < 1e6) return (n / 1e3).toFixed(1) + ' kB';
    return (n / 1e6).toFixed(1) + ' MB';
  }

  // item is one transfer's row: name, bar, bytes, cancel/close button.
  function item(dir, name, size, cancel) {
    var row = el('div', 'xfer');
    row.setAttribute('data-direction', dir);
    row.setAttribute('data-name', name);
    row.setAttribute('data-state', 'waiting');
    var label = el('span', 'xfer-name', (dir === 'upload' ? '\u2191 ' : '\u2193 ') + name);
    var bar = el('progress');
    bar.max = size || 1;
    bar.value = 0;
    var text = el('span', 'xfer-text', size ? mb(size) : '');
    var x = el('button', 'xfer-x', '\u00d7');
    x.type = 'button';
    x.tabIndex = -1;
    x.setAttribute('aria-label', 'cancel 取消');
    x.addEventListener('pointerdown', function (e) { e.preventDefault(); });
    row.appendChild(label);
    row.appendChild(bar);
    row.appendChild(text);
    row.appendChild(x);
    panel.appendChild(row);
    var over = false;
    x.addEventListener('click', function () {
      if (!over) cancel();
      else if (row.parentNode) panel.removeChild(row);
    });
    return {
      row: row,
      progress: function (n, total) {
        row.setAttribute('data-state', 'running');
        if (total) bar.max = total;
        bar.value = n;
        text.textContent = mb(n) + ' / ' + mb(total || size);
      },
      end: function (ok, msg) {
        if (over) return;
        over = true;
        row.setAttribute('data-state', ok ? 'done' : 'error');
        row.classList.add(ok ? 'xfer-done' : 'xfer-error');
        if (ok) bar.value = bar.max;
        text.textContent = msg;
        x.setAttribute('aria-label', 'close 关闭');
        if (ok) setTimeout(function () { if (row.parentNode) panel.removeChild(row); }, 10000);
      },
    };
  }

  function upload(files) {
    if (!session || !files) return;
    for (var i = 0; i < files.length; i++) {
      (function (f) {
        var job = { file: f, xhr: null, cancelled: false };
        job.item = item('upload', f.name, f.size, function () {
          job.cancelled = true;
          if (job.xhr) job.xhr.abort();
          job.item.end(false, 'cancelled / 已取消');
        });
        queue.push(job);
      })(files[i]);
    }
    next();
  }

  function next() {
    if (busy) return;
    var job;
    while ((job = queue.shift()) && job.cancelled) { /* skip */ }
    if (!job) return;
    busy = true;
    var x = new XMLHttpRequest();
    job.xhr = x;
    if (maxBytes && job.file.size > maxBytes) {
      busy = false;
      job.item.end(false, 'larger than the upload limit (' + mb(maxBytes) + ') / 超过上传限制');
      next();
      return;
    }
    x.open('POST', base + 'upload');
    x.setRequestHeader('X-Webssh-Term', session);
    x.setRequestHeader('X-Webssh-Name', encodeURIComponent(job.file.name));
    x.setRequestHeader('Content-Type', 'application/octet-stream');
    x.upload.onprogress = function (e) { job.item.progress(e.loaded, e.total || job.file.size); };
    function done(ok, msg) {
      busy = false;
      job.item.end(ok, msg);
      next();
    }
    x.onload = function () {
      if (x.status === 200) {
        var r = {};
        try { r = JSON.parse(x.responseText); } catch (e) { /* shown as is */ }
        var dir = r.dir || '';
        done(true, '\u2713 ' + (dir ? dir.replace(/\/?$/, '/') : '') + (r.name || job.file.name));
        job.item.row.setAttribute('data-result', r.name || '');
      } else {
        done(false, (x.responseText || ('HTTP ' + x.status)).trim());
      }
    };
    x.onerror = function () { done(false, 'upload failed: connection lost / 上传失败'); };
    x.onabort = function () { busy = false; next(); };
    x.send(job.file);
  }

  function download(token) {
    if (!session || !/^[0-9a-f]{1,64}$/.test(token)) return;
    var ctl = new AbortController();
    var it = item('download', '\u2026', 0, function () { ctl.abort(); it.end(false, 'cancelled / 已取消'); });
    var hdr = { 'X-Webssh-Term': session, 'X-Webssh-Token': token };
    fetch(base + 'download', { method: 'POST', headers: hdr, cache: 'no-store', signal: ctl.signal }).then(function (resp) {
      if (!resp.ok) return resp.text().then(function (t) { it.end(false, t.trim() || ('HTTP ' + resp.status)); });
      var name = 'download';
      try { name = decodeURIComponent(resp.headers.get('X-Webssh-Name') || name); } catch (e) { /* keep */ }
      name = name.replace(/[\/\\]/g, '_');
      it.row.setAttribute('data-name', name);
      it.row.querySelector('.xfer-name').textContent = '\u2193 ' + name;
      var total = Number(resp.headers.get('Content-Length')) || 0;
      var reader = resp.body.getReader(), parts = [], got = 0;
      function pump() {
        return reader.read().then(function (r) {
          if (r.done) {
            if (total && got !== total) { it.end(false, 'download cut short / 下载不完整'); return; }
            var url = URL.createObjectURL(new Blob(parts, { type: 'application/octet-stream' }));
            var a = el('a');
            a.href = url;
            a.download = name;
            document.body.appendChild(a);
            a.click();
            document.body.removeChild(a);
            setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
            it.end(true, '\u2713 ' + mb(got));
            return;
          }
          parts.push(r.value);
          got += r.value.length;
          it.progress(got, total);
          return pump();
        });
      }
      return pump();
    }).catch(function (e) {
      if (e && e.name === 'AbortError') return;
      it.end(false, 'download failed / 下载失败');
    });
  }

  term.parser.registerOscHandler(5379, function (data) {
    var f = {};
    data.split(';').forEach(function (kv) {
      var eq = kv.indexOf('=');
      if (eq > 0) f[kv.slice(0, eq)] = kv.slice(eq + 1);
    });
    if (/^[0-9a-f]{32}$/.test(f.session || '')) {
      session = f.session;
      maxBytes = Number(f.max) || 0;
      button.hidden = false;
      var bar = document.getElementById('keybar');
      if (bar && !barButton) {
        barButton = pickButton('');
        bar.appendChild(barButton);
      }
    } else if (f.get) {
      download(f.get);
    }
    return true;
  });

  // Drag and drop anywhere on the page.
  var depth = 0;
  function hasFiles(e) {
    var t = e.dataTransfer && e.dataTransfer.types;
    return !!t && Array.prototype.indexOf.call(t, 'Files') >= 0;
  }
  document.addEventListener('dragenter', function (e) {
    if (!session || !hasFiles(e)) return;
    e.preventDefault();
    depth++;
    overlay.hidden = false;
  });
  document.addEventListener('dragover', function (e) {
    if (!session || !hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  });
  document.addEventListener('dragleave', function () {
    if (--depth <= 0) { depth = 0; overlay.hidden = true; }
  });
  document.addEventListener('drop', function (e) {
    depth = 0;
    overlay.hidden = true;
    if (!session || !hasFiles(e)) return;
    e.preventDefault();
    upload(e.dataTransfer.files);
    term.focus();
  });

  window.websshTransfers = { session: function () { return session; }, upload: upload };
})();

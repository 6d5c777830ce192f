// The web terminal page's messages in English and Chinese, English first,
// like the appliance page (custom/www). The server's notices
// ({kind, text}, pkg/termproto) are in English; their Chinese follows from
// the kind and the numbers in the text.
//
// WebsshMessages.ended(notice) returns the lines the terminal prints when
// a session ends (notice null: the connection closed without one) and the
// status line; WebsshMessages.connecting is the status while connecting.
(function () {
  'use strict';

  // chinese translates one notice of the server.
  function chinese(kind, text) {
    var m;
    switch (kind) {
      case 'exit':
        if ((m = /exit status (-?\d+)/.exec(text))) return '会话已结束（退出状态 ' + m[1] + '）';
        if (/signal/.test(text)) return '会话已结束（被信号终止）';
        return '会话已结束';
      case 'idle':
        if ((m = /no input for (\S+?):/.exec(text))) return m[1] + ' 内没有输入，会话已关闭';
        return '长时间没有输入，会话已关闭';
      case 'busy':
        if ((m = /all (\d+) terminal sessions/.exec(text))) return '全部 ' + m[1] + ' 个终端会话都在使用中，请关闭一个或稍后再试';
        return '终端会话已满，请稍后再试';
      case 'error':
        if (text === 'protocol error') return '协议错误';
        if (text === 'server shutting down') return '服务器正在关闭';
        if (/stayed at the login prompt and was closed to let another visitor in/.test(text)) return '此终端一直停在登录提示，已关闭以让其他访问者登录';
        if ((m = /^cannot start the terminal: (.*)$/.exec(text))) return '无法启动终端：' + m[1];
        return '出错：' + text;
      default:
        return '';
    }
  }

  var again = 'session ended \u2014 press Enter to start a new one';
  var againZh = '会话已结束 \u2014 按回车键开始新的会话';

  window.WebsshMessages = {
    connecting: 'connecting\u2026 正在连接\u2026',
    ended: function (notice) {
      var en = 'connection closed', zh = '连接已断开';
      if (notice && typeof notice.text === 'string' && notice.text) {
        en = notice.text;
        zh = chinese(notice.kind, notice.text) || '';
      }
      var lines = ['[' + en + ']'];
      if (zh) lines.push('[' + zh + ']');
      lines.push(again, againZh);
      return {lines: lines, status: again + ' \u00b7 ' + againZh};
    },
  };
})();

/*
 * Behaviour every page shares (base.html). A file, not an inline <script>: the Content Security
 * Policy runs scripts from /static/ only.
 *
 * htmx swaps the refusals the server renders as fragments (403, 409, 422); any other failed
 * request gets a message instead of nothing happening.
 */
(function () {
  "use strict";
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : "";
    var message;
    if (status === 404) {
      message = "找不到该培训班，或不在您的管辖范围内。";
    } else if (status === 429) {
      message = "操作过于频繁，请稍后再试。";
    } else {
      message = "请求未成功（" + status + "），请刷新页面后重试。";
    }
    window.alert(message);
  });
  document.addEventListener("htmx:sendError", function () {
    window.alert("无法连接服务器，请检查网络后重试。");
  });
})();

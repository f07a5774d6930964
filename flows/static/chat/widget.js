/*
 * Chat widget: put a published chatbot on any page with one tag.
 *
 *   <script src="https://HOST/static/chat/widget.js" data-bot="PUBLIC_ID" data-mode="bubble" async></script>
 *
 * data-mode: bubble (a launcher in a corner, the default), popup (a dialog opened by Chatbot.open()
 * or any element with data-chatbot-open), standard (inside data-container, a CSS selector).
 * data-variables: a JSON object of variables for the start call, e.g. '{"utm_source": "ads"}'.
 * data-url-variables="true": the page's query parameters become variables too.
 * data-auto-open="5": bubble and popup open by themselves after that many seconds.
 * data-autofocus="true": standard mode puts the focus in the first input (a page that is only the chat).
 *
 * JS: Chatbot.open(), Chatbot.close(), Chatbot.toggle(), Chatbot.reset(), Chatbot.setVariables({...}),
 * each taking the bot's public id last when several bots share a page; Chatbot.init({bot, mode,
 * container, variables}) mounts one more. Events on window: chatbot:ready, chatbot:open,
 * chatbot:close, chatbot:end (detail: {bot, status}).
 *
 * It talks only to the public chat API of the server it was loaded from, renders in a Shadow DOM,
 * builds every node with DOM calls (never HTML from strings) and follows only http(s) links.
 */
(function () {
  "use strict";
  var perf = window.performance;
  if (perf && perf.mark) perf.mark("chatbot:script");

  var script = document.currentScript;
  var ORIGIN = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var API = ORIGIN + "/api/flows/public/";
  var SVG = "http://www.w3.org/2000/svg";
  var REL = "noopener noreferrer nofollow";
  var ICONS = {
    chat: "M4 5h16v11H8l-4 4z",
    close: "M6 6l12 12M18 6L6 18",
    send: "M4 12l16-8-6 16-2-7z",
    restart: "M4 12a8 8 0 1 0 2.3-5.7M4 4v5h5",
  };
  var firstMessageMarked = false;

  // --- Small helpers --------------------------------------------------------------------

  function h(tag, props) {
    var el = document.createElement(tag);
    for (var key in props || {}) {
      var value = props[key];
      if (value == null || value === false) continue;
      if (key === "text") el.textContent = value;
      else if (key === "class") el.className = value;
      else if (key.slice(0, 2) === "on") el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : value);
    }
    for (var i = 2; i < arguments.length; i++) if (arguments[i]) el.append(arguments[i]);
    return el;
  }

  function icon(name) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(SVG, "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }

  function safeUrl(value) {
    if (typeof value !== "string" || !value) return "";
    try {
      var url = new URL(value);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : "";
    } catch (e) {
      return "";
    }
  }

  function sleep(ms) {
    return new Promise(function (resolve) {
      setTimeout(resolve, ms);
    });
  }

  var store = {
    get: function (key) {
      try {
        return localStorage.getItem(key);
      } catch (e) {
        return null;
      }
    },
    set: function (key, value) {
      try {
        localStorage.setItem(key, value);
      } catch (e) {
        /* storage blocked (private mode, third-party iframe): no resume, chat still works */
      }
    },
    del: function (key) {
      try {
        localStorage.removeItem(key);
      } catch (e) {
        /* see set */
      }
    },
  };

  function cleanVariables(source) {
    var out = {};
    if (!source || typeof source !== "object") return out;
    Object.keys(source)
      .slice(0, 50)
      .forEach(function (name) {
        var value = source[name];
        if (value === null || typeof value === "number" || typeof value === "boolean") out[name] = value;
        else if (typeof value === "string") out[name] = value.slice(0, 1000);
      });
    return out;
  }

  // Text on a colour: whichever of near-black and white contrasts more (WCAG luminance).
  function ink(hex) {
    var m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex || "");
    if (!m) return "#ffffff";
    var s = m[1].length === 3 ? m[1].replace(/./g, "$&$&") : m[1];
    var lum = [0, 2, 4].reduce(function (sum, i, k) {
      var c = parseInt(s.slice(i, i + 2), 16) / 255;
      c = c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
      return sum + c * [0.2126, 0.7152, 0.0722][k];
    }, 0);
    return 1.05 / (lum + 0.05) >= (lum + 0.05) / 0.05 ? "#ffffff" : "#111827";
  }

  // --- Safe markdown: **bold**, *italic*, `code`, [links](https://…), bare URLs ----------------
  // Everything becomes text nodes and a few elements; a link whose URL is not http(s) is plain text.

  var INLINE =
    /(\*\*|__)(?=\S)([\s\S]*?\S)\1|(?<![\w*])\*(?=\S)([\s\S]*?\S)\*(?![\w*])|(?<![\w_])_(?=\S)([\s\S]*?\S)_(?!\w)|`([^`\n]+)`|\[([^\]\n]+)\]\(([^)\s]+)\)|(https?:\/\/[^\s<>]*[^\s<>.,;:!?'")\]])/g;

  function inline(text, parent) {
    var last = 0;
    text.replace(INLINE, function (match, strong, strongText, em1, em2, code, label, href, bare, offset) {
      if (offset > last) parent.append(text.slice(last, offset));
      last = offset + match.length;
      if (strong) inline(strongText, parent.appendChild(h("strong")));
      else if (em1 || em2) inline(em1 || em2, parent.appendChild(h("em")));
      else if (code) parent.append(h("code", { text: code }));
      else {
        var url = safeUrl(href || bare);
        if (!url) inline(label || match, parent);
        else parent.append(h("a", { href: url, target: "_blank", rel: REL, text: label || bare }));
      }
      return match;
    });
    if (last < text.length) parent.append(text.slice(last));
    return parent;
  }

  function markdown(text) {
    var frag = document.createDocumentFragment();
    String(text)
      .split("\n")
      .forEach(function (line, i) {
        if (i) frag.append(h("br"));
        inline(line, frag);
      });
    return frag;
  }

  function videoEmbed(url) {
    var yt = /(?:youtube\.com\/(?:watch\?(?:.*&)?v=|embed\/|shorts\/)|youtu\.be\/)([\w-]{11})/.exec(url);
    if (yt) return "https://www.youtube-nocookie.com/embed/" + yt[1];
    var vimeo = /vimeo\.com\/(?:video\/)?(\d+)/.exec(url);
    return vimeo ? "https://player.vimeo.com/video/" + vimeo[1] : "";
  }

  function frame(src, height, title, sandboxed) {
    var el = h("iframe", {
      src: src,
      title: title,
      loading: "lazy",
      referrerpolicy: "strict-origin-when-cross-origin",
      allow: "autoplay; fullscreen; picture-in-picture",
      sandbox: sandboxed ? "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox" : null,
    });
    el.style.height = Math.max(50, Math.min(2000, Number(height) || 400)) + "px";
    return el;
  }

  // A bot message as the Turn (or the transcript) gives it; null when there is nothing safe to show.
  function content(m) {
    if (m.type === "text" || (m.text != null && !m.url)) return markdown(m.text || "");
    var url = safeUrl(m.url);
    if (!url) return null;
    if (m.type === "image") {
      var img = h("img", { src: url, alt: m.alt || "", loading: "lazy" });
      var link = safeUrl(m.link);
      return link ? h("a", { href: link, target: "_blank", rel: REL }, img) : img;
    }
    if (m.type === "video") {
      var embed = videoEmbed(url);
      if (embed) return frame(embed + (m.autoplay ? "?autoplay=1&mute=1" : ""), m.height, "Video");
      var video = h("video", { src: url, controls: true, preload: "metadata", playsinline: true, autoplay: !!m.autoplay });
      video.muted = !!m.autoplay; // browsers only autoplay muted videos
      return video;
    }
    if (m.type === "audio") return h("audio", { src: url, controls: true, preload: "metadata", autoplay: !!m.autoplay });
    if (m.type === "embed") return frame(url, m.height, "Embedded content", true);
    return h("a", { href: url, target: "_blank", rel: REL, text: url });
  }

  // --- The API --------------------------------------------------------------------------

  function ApiError(status, message, retryAfter) {
    this.status = status;
    this.message = message;
    this.retryAfter = retryAfter;
  }

  async function call(method, path, body) {
    var options = { method: method, credentials: "omit", headers: { Accept: "application/json" } };
    if (body instanceof FormData) options.body = body;
    else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    for (var attempt = 0; ; attempt++) {
      var response;
      try {
        response = await fetch(API + path, options);
      } catch (e) {
        throw new ApiError(0, "Can't reach the chat server. Check your connection.");
      }
      var data = null;
      try {
        data = await response.json();
      } catch (e) {
        /* an empty or non-JSON body */
      }
      var wait = parseInt(response.headers.get("Retry-After"), 10);
      if (response.ok) {
        // A session read while the bot's HTTP request is under way: when to ask again.
        if (data && wait >= 0) Object.defineProperty(data, "retryAfter", { value: wait });
        return data;
      }
      // 429, and a 409 that names a wait (a reply crossing one still in flight): try again after it.
      if ((response.status === 429 || response.status === 409) && wait >= 0 && attempt < 4) {
        await sleep(Math.min(wait, 30) * 1000);
        continue;
      }
      var detail = data && typeof data.detail === "string" ? data.detail : response.status >= 500 ? "The chat server had a problem." : "The request was refused.";
      if (data && !data.detail && typeof data === "object") {
        var first = Object.values(data)[0];
        if (Array.isArray(first) && typeof first[0] === "string") detail = first[0];
      }
      throw new ApiError(response.status, detail, wait);
    }
  }

  // --- Styles (one constructed sheet shared by every instance; CSP-safe) -------------------

  var CSS = `
:host{all:initial;display:block}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
.cb{--cb-primary:#2563eb;--cb-on-primary:#fff;--cb-user:#2563eb;--cb-on-user:#fff;--cb-bg:var(--lt-bg,#fff);--cb-text:var(--lt-text,#111827);--cb-bot:var(--lt-bot,#f3f4f6);--cb-on-bot:var(--cb-text);--cb-font:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;--cb-line:color-mix(in srgb,var(--cb-text) 14%,transparent);--cb-muted:color-mix(in srgb,var(--cb-text) 65%,var(--cb-bg));--cb-field:var(--cb-bg);--cb-error:#b91c1c;font:15px/1.45 var(--cb-font);color:var(--cb-text);height:100%;-webkit-text-size-adjust:100%}
.cb.dark{--cb-bg:#111827;--cb-text:#f3f4f6;--cb-bot:#1f2937;--cb-on-bot:#f3f4f6;--cb-field:#1f2937;--cb-error:#fca5a5}
@media (prefers-color-scheme:dark){.cb.auto{--cb-bg:#111827;--cb-text:#f3f4f6;--cb-bot:#1f2937;--cb-on-bot:#f3f4f6;--cb-field:#1f2937;--cb-error:#fca5a5}}
button,input,textarea{font:inherit;color:inherit;margin:0}
button{cursor:pointer}
button:disabled{cursor:default;opacity:.55}
:focus-visible{outline:3px solid var(--cb-primary);outline-offset:2px}
svg{width:22px;height:22px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}
.panel:focus{outline:none}
.panel{display:flex;flex-direction:column;background:var(--cb-bg);color:var(--cb-text);overflow:hidden;height:100%}
.standard .panel{min-height:320px}
.bubble .panel,.popup .panel{position:fixed;z-index:2;border-radius:16px;box-shadow:0 12px 48px rgba(0,0,0,.25)}
.bubble .panel{bottom:92px;right:20px;width:384px;height:min(640px,calc(100vh - 112px))}
.left .panel{right:auto;left:20px}
.popup .panel{inset:0;margin:auto;width:min(460px,calc(100vw - 32px));height:min(680px,calc(100vh - 32px))}
.backdrop{position:fixed;inset:0;z-index:1;background:rgba(17,24,39,.55)}
.launcher{position:fixed;bottom:20px;right:20px;width:56px;height:56px;border-radius:50%;border:0;display:grid;place-items:center;background:var(--cb-primary);color:var(--cb-on-primary);box-shadow:0 6px 20px rgba(0,0,0,.25)}
.launcher svg{width:26px;height:26px}
.left .launcher{right:auto;left:20px}
.teaser{position:fixed;bottom:88px;right:20px;width:max-content;max-width:min(280px,calc(100vw - 40px));display:flex;align-items:flex-start;gap:4px;padding:10px 6px 10px 14px;border-radius:14px;background:#fff;color:#111827;font-size:14px;box-shadow:0 6px 24px rgba(0,0,0,.18)}
.left .teaser{right:auto;left:20px}
.teaser>button{border:0;background:none;text-align:left;padding:0;flex:auto}
.teaser .icon{width:24px;height:24px}
.teaser .icon svg{width:14px;height:14px}
@media (max-width:480px){.bubble .panel,.popup .panel{inset:0;width:100%;height:100%;border-radius:0}.bubble.open .launcher{display:none}}
.head{display:flex;align-items:center;gap:10px;padding:10px 10px 10px 14px;background:var(--cb-primary);color:var(--cb-on-primary)}
.head :focus-visible{outline-color:var(--cb-on-primary)}
.avatar{width:32px;height:32px;border-radius:50%;object-fit:cover;flex:none;background:var(--cb-bot)}
.titles{flex:1;min-width:0}
.title{font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.sub{font-size:13px;opacity:.9;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.icon{width:40px;height:40px;flex:none;border:0;border-radius:10px;background:transparent;display:grid;place-items:center}
.icon:hover{background:color-mix(in srgb,currentColor 15%,transparent)}
.scroll{flex:1;overflow-y:auto;padding:16px 12px 8px;overscroll-behavior:contain}
.log{display:flex;flex-direction:column;gap:8px}
.row{display:flex;gap:8px;align-items:flex-end}
.row.user{justify-content:flex-end}
.row .avatar{width:28px;height:28px}
.row.cont{padding-left:36px}
.msg{max-width:85%;padding:9px 13px;border-radius:16px;overflow-wrap:anywhere;background:var(--cb-bot);color:var(--cb-on-bot)}
.bot .msg{border-bottom-left-radius:4px}
.user .msg{background:var(--cb-user);color:var(--cb-on-user);border-bottom-right-radius:4px;white-space:pre-wrap}
.msg a{color:inherit}
.msg code{font:.9em ui-monospace,monospace;background:color-mix(in srgb,currentColor 12%,transparent);padding:0 4px;border-radius:4px}
.msg.media{width:85%;padding:4px}
.msg img,.msg video{display:block;max-width:100%;border-radius:12px}
.msg iframe{display:block;width:100%;border:0;border-radius:12px}
.msg audio{display:block;width:100%}
.note{align-self:center;max-width:90%;text-align:center;font-size:13px;color:var(--cb-muted)}
.typing{display:flex;gap:4px;width:max-content;margin-top:8px;padding:13px 14px;border-radius:16px;background:var(--cb-bot);color:var(--cb-on-bot)}
.typing i{width:7px;height:7px;border-radius:50%;background:currentColor;opacity:.35;animation:cb-dot 1.2s infinite}
.typing i:nth-child(2){animation-delay:.2s}
.typing i:nth-child(3){animation-delay:.4s}
@keyframes cb-dot{40%{opacity:1}}
@media (prefers-reduced-motion:reduce){.typing i{animation:none;opacity:.7}}
.composer{display:flex;flex-direction:column;gap:8px;padding:10px 12px 12px;border-top:1px solid var(--cb-line);background:var(--cb-bg)}
.composer:empty{display:none}
.field{display:flex;gap:8px;align-items:flex-end;flex-wrap:wrap}
.field input,.field textarea{flex:1 1 160px;min-width:0;min-height:44px;padding:10px 12px;border:1px solid color-mix(in srgb,var(--cb-text) 30%,transparent);border-radius:12px;background:var(--cb-field);color:var(--cb-text)}
.field textarea{resize:none;max-height:140px}
.field input[type=range]{padding:0;border:0;accent-color:var(--cb-primary)}
.field label{display:flex;flex-direction:column;gap:2px;flex:1 1 140px;font-size:13px;color:var(--cb-muted)}
.field label input{width:100%;flex:none}
.send{min-width:44px;height:44px;padding:0 12px;border:0;border-radius:12px;display:grid;place-items:center;background:var(--cb-primary);color:var(--cb-on-primary);font-weight:600}
.choices{display:flex;flex-wrap:wrap;gap:8px;justify-content:flex-end;max-height:45vh;overflow-y:auto;padding:3px}
.choice{min-height:40px;padding:7px 14px;border:1.5px solid var(--cb-primary);border-radius:20px;background:transparent;color:var(--cb-text)}
.choice:hover,.choice[aria-pressed=true]{background:var(--cb-primary);color:var(--cb-on-primary)}
.pic{width:calc(50% - 4px);display:flex;flex-direction:column;align-items:center;gap:6px;padding:6px;border-radius:12px}
.pic img{width:100%;aspect-ratio:4/3;object-fit:cover;border-radius:8px;background:var(--cb-bot)}
.scale{justify-content:center}
.scale .choice{min-width:40px;padding:7px 0;border-radius:10px}
.output{min-width:3ch;text-align:center;font-weight:600}
.actions{display:flex;gap:8px;justify-content:flex-end;flex-wrap:wrap}
.ghost{min-height:40px;padding:7px 14px;border:1px solid var(--cb-line);border-radius:12px;background:transparent;color:var(--cb-text)}
.alert{display:flex;align-items:center;gap:8px;flex-wrap:wrap;font-size:14px;color:var(--cb-error)}
.end{display:flex;align-items:center;justify-content:space-between;gap:8px;flex-wrap:wrap;font-size:14px;color:var(--cb-muted)}
`;
  var sheet = null;

  function adoptStyles(root) {
    try {
      sheet = sheet || new CSSStyleSheet();
      if (!sheet.cssRules.length) sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.append(h("style", { text: CSS })); // browsers without constructable stylesheets
    }
  }

  // The host element ignores the page's CSS: inline !important beats any rule of the page.
  var HOST_STYLE = {
    display: "block",
    visibility: "visible",
    opacity: "1",
    transform: "none",
    filter: "none",
    "clip-path": "none",
    "pointer-events": "auto",
    margin: "0",
    padding: "0",
    border: "0",
    float: "none",
    "max-width": "none",
    "min-width": "0",
  };

  // --- A widget instance ----------------------------------------------------------------

  var uid = 0;

  function Widget(options) {
    this.bot = String(options.bot);
    this.mode = ["bubble", "popup", "standard"].indexOf(options.mode) >= 0 ? options.mode : "bubble";
    this.variables = cleanVariables(options.variables);
    this.key = "chatbot:" + this.bot + ":session";
    this.id = "cb" + ++uid;
    this.gen = 0;
    this.opened = this.mode === "standard";
    this.interacted = !!options.autofocus;
    this.build(options.container);
    this.ready = this.loadProfile();
    this.ready.catch(function () {}); // reported by unavailable(); nothing else waits on it yet
    if (this.mode === "standard") this.begin();
    var delay = parseFloat(options.autoOpen);
    if (this.mode !== "standard" && delay >= 0) {
      var self = this;
      setTimeout(function () {
        if (!self.opened && !store.get(self.key + ":closed")) self.open();
      }, delay * 1000);
    }
  }

  var W = Widget.prototype;

  W.build = function (container) {
    var host = h("div", { "data-chatbot": this.bot });
    for (var name in HOST_STYLE) host.style.setProperty(name, HOST_STYLE[name], "important");
    if (this.mode === "standard") {
      host.style.setProperty("width", "100%", "important");
      host.style.setProperty("height", "100%", "important");
      host.style.setProperty("position", "relative", "important");
      container.append(host);
    } else {
      // Fixed and above everything; its children place themselves in the viewport.
      ["position:fixed", "top:0", "left:0", "width:0", "height:0", "z-index:2147483000", "overflow:visible"].forEach(function (rule) {
        var parts = rule.split(":");
        host.style.setProperty(parts[0], parts[1], "important");
      });
      document.body.append(host);
    }
    this.host = host;
    var root = (this.root = host.attachShadow({ mode: "open" }));
    adoptStyles(root);
    var self = this;
    var title = h("div", { class: "title", id: this.id + "-title" });
    this.titleEl = title;
    this.subEl = h("div", { class: "sub", hidden: true });
    this.avatarEl = h("img", { class: "avatar", alt: "", hidden: true });
    this.logEl = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-labelledby": this.id + "-title" });
    this.typingEl = h("div", { class: "typing", hidden: true, "aria-hidden": "true" }, h("i"), h("i"), h("i"));
    this.scrollEl = h("div", { class: "scroll" }, this.logEl, this.typingEl);
    this.composer = h("div", { class: "composer" });
    var head = h(
      "div",
      { class: "head" },
      this.avatarEl,
      h("div", { class: "titles" }, title, this.subEl),
      h("button", { type: "button", class: "icon", "aria-label": "Restart the conversation", title: "Restart", onclick: function () { self.reset(); } }, icon("restart")),
      this.mode === "standard" ? null : h("button", { type: "button", class: "icon", "aria-label": "Close the chat", title: "Close", onclick: function () { self.close(); } }, icon("close"))
    );
    var modal = this.mode === "popup";
    this.panel = h(
      "div",
      {
        class: "panel",
        id: this.id + "-panel",
        role: this.mode === "standard" ? "region" : "dialog",
        "aria-modal": modal ? "true" : null,
        "aria-labelledby": this.id + "-title",
        tabindex: "-1",
        hidden: !this.opened,
      },
      head,
      this.scrollEl,
      this.composer
    );
    this.el = h("div", { class: "cb " + this.mode }, this.panel);
    if (this.mode === "bubble") {
      this.launcher = h("button", { type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": this.id + "-panel", "aria-label": "Open the chat", hidden: true, onclick: function () { self.toggle(); } }, icon("chat"));
      this.teaser = h(
        "div",
        { class: "teaser", hidden: true },
        h("button", { type: "button", onclick: function () { self.open(); } }),
        h("button", { type: "button", class: "icon", "aria-label": "Dismiss", onclick: function () { self.teaser.hidden = true; store.set(self.key + ":teased", "1"); } }, icon("close"))
      );
      this.el.append(this.teaser, this.launcher);
    }
    if (modal) {
      this.backdrop = h("div", { class: "backdrop", hidden: true, onclick: function () { self.close(); } });
      this.el.prepend(this.backdrop);
    }
    this.el.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && self.mode !== "standard" && self.opened) {
        event.stopPropagation();
        self.close();
      } else if (event.key === "Tab" && modal) self.trapFocus(event);
    });
    root.append(this.el);
  };

  W.trapFocus = function (event) {
    var items = Array.prototype.filter.call(this.panel.querySelectorAll("button,input,textarea,a[href],iframe,audio,video"), function (el) {
      return !el.disabled && el.offsetParent !== null;
    });
    if (!items.length) return;
    var active = this.root.activeElement;
    var first = items[0];
    var last = items[items.length - 1];
    if (event.shiftKey ? active === first || !active : active === last) {
      event.preventDefault();
      (event.shiftKey ? last : first).focus();
    }
  };

  W.loadProfile = async function () {
    try {
      this.profile = await call("GET", encodeURIComponent(this.bot) + "/");
    } catch (e) {
      this.unavailable(e);
      throw e;
    }
    var a = this.profile.appearance || {};
    var title = a.title || this.profile.name || "Chat";
    this.titleEl.textContent = title;
    this.subEl.textContent = a.welcome_text || "";
    this.subEl.hidden = !a.welcome_text;
    this.avatar = safeUrl(a.avatar_url);
    if (this.avatar) {
      this.avatarEl.src = this.avatar;
      this.avatarEl.hidden = false;
    }
    var colors = {
      "--cb-primary": a.primary_color,
      "--cb-on-primary": ink(a.primary_color),
      // The light palette; the dark theme replaces these in CSS.
      "--lt-bg": a.background_color,
      "--lt-text": a.text_color,
      "--lt-bot": a.bot_bubble_color,
      "--cb-user": a.user_bubble_color,
      "--cb-on-user": ink(a.user_bubble_color),
    };
    for (var name in colors) if (/^#[0-9a-f]{3,6}$/i.test(colors[name] || "")) this.el.style.setProperty(name, colors[name]);
    if (a.font_family && /^[\w ,'-]+$/.test(a.font_family)) this.el.style.setProperty("--cb-font", a.font_family + ",system-ui,sans-serif");
    this.el.classList.add(a.theme === "dark" || a.theme === "auto" ? a.theme : "light");
    if (a.position === "left") this.el.classList.add("left");
    if (this.launcher) {
      this.launcher.setAttribute("aria-label", "Open the chat: " + title);
      this.launcher.hidden = false;
      if (a.welcome_text && !this.opened && !store.get(this.key + ":teased")) {
        this.teaser.firstChild.textContent = a.welcome_text;
        this.teaser.hidden = false;
      }
    }
    return this.profile;
  };

  W.unavailable = function (error) {
    var why = error.status === 404 ? "This chatbot is not available." : error.message;
    if (window.console) console.warn("Chatbot " + this.bot + ": " + error.message);
    if (this.mode === "standard") {
      this.titleEl.textContent = "Chat";
      this.note(why);
    } else {
      this.host.hidden = true;
      this.host.style.setProperty("display", "none", "important");
    }
  };

  // --- Opening and closing --------------------------------------------------------------

  W.open = function () {
    if (this.opened) return;
    this.opened = true;
    this.returnFocus = document.activeElement;
    this.panel.hidden = false;
    this.el.classList.add("open");
    if (this.backdrop) this.backdrop.hidden = false;
    if (this.teaser) this.teaser.hidden = true;
    if (this.launcher) {
      this.launcher.setAttribute("aria-expanded", "true");
      this.launcher.replaceChildren(icon("close"));
    }
    store.del(this.key + ":closed");
    this.interacted = true;
    this.begin();
    var close = this.panel.querySelector(".head .icon:last-child");
    if (close && !this.composer.firstChild) close.focus();
    this.focusInput();
    this.emit("open");
  };

  W.close = function () {
    if (!this.opened || this.mode === "standard") return;
    this.opened = false;
    this.panel.hidden = true;
    this.el.classList.remove("open");
    if (this.backdrop) this.backdrop.hidden = true;
    store.set(this.key + ":closed", "1");
    if (this.launcher) {
      this.launcher.setAttribute("aria-expanded", "false");
      this.launcher.replaceChildren(icon("chat"));
      this.launcher.focus();
    } else if (this.returnFocus && this.returnFocus.focus) this.returnFocus.focus();
    this.emit("close");
  };

  W.toggle = function () {
    this.opened ? this.close() : this.open();
  };

  W.emit = function (name, detail) {
    window.dispatchEvent(new CustomEvent("chatbot:" + name, { detail: Object.assign({ bot: this.bot }, detail) }));
  };

  // --- The conversation -----------------------------------------------------------------

  W.begin = function () {
    if (this.begun) return;
    this.begun = true;
    var stored = store.get(this.key);
    stored ? this.resume(stored) : this.start();
  };

  // The conversation's first request goes out with the profile's; shown once both are in.
  // Null when the profile failed (unavailable() says so) or the conversation was reset meanwhile.
  W.load = async function (method, path, body, gen) {
    var request = call(method, path, body);
    request.catch(function () {});
    try {
      await this.ready;
    } catch (e) {
      return null;
    }
    var data = await request;
    return gen === this.gen ? data : null;
  };

  W.reset = function () {
    store.del(this.key);
    if (this.begun) return this.start(); // else the first open starts afresh
  };

  W.setVariables = function (variables) {
    Object.assign(this.variables, cleanVariables(variables));
  };

  W.clear = function () {
    this.gen++;
    this.logEl.replaceChildren();
    this.composer.replaceChildren();
    this.typingEl.hidden = true;
    this.lastSender = null;
    this.input = null;
  };

  W.start = async function (note) {
    this.clear();
    if (note) this.note(note);
    var gen = this.gen;
    this.typing(true);
    try {
      var turn = await this.load("POST", encodeURIComponent(this.bot) + "/start/", { variables: this.variables }, gen);
    } catch (e) {
      if (gen !== this.gen) return;
      this.typing(false);
      return this.failure(e, this.start.bind(this, note));
    }
    if (gen === this.gen) this.typing(false);
    if (!turn) return;
    this.session = turn.session_id;
    store.set(this.key, this.session);
    await this.play(turn, gen);
  };

  // Reload: the stored session through the public GET; a new one starts if it is gone or expired.
  W.resume = async function (session, expiredNote) {
    this.clear();
    var gen = this.gen;
    try {
      var data = await this.load("GET", "sessions/" + encodeURIComponent(session) + "/", undefined, gen);
    } catch (e) {
      if (gen !== this.gen) return;
      if (e.status === 404 || e.status === 410) return this.restartExpired(false);
      return this.failure(e, this.resume.bind(this, session, expiredNote));
    }
    if (!data) return;
    if (data.status === "expired") return this.restartExpired(expiredNote);
    this.session = session;
    var self = this;
    (data.transcript || []).forEach(function (entry) {
      if (entry.sender === "user") self.addUser(entry.text);
      else self.addBot(entry);
    });
    if (data.status === "active" && !data.input) {
      // The bot is waiting on an HTTP request of this conversation: read again when it is done.
      this.typing(true);
      await sleep(Math.max(1, Math.min(30, data.retryAfter || 2)) * 1000);
      if (gen === this.gen) this.resume(session, expiredNote);
      return;
    }
    this.settle(data, true);
  };

  W.restartExpired = function (tell) {
    store.del(this.key);
    return this.start(tell === false ? null : "Your previous conversation expired, so a new one has started.");
  };

  // Shows a turn: messages in order with the typing delay, actions at their message_index.
  W.play = async function (turn, gen) {
    var messages = turn.messages || [];
    var actions = (turn.actions || []).slice();
    var delay = Math.max(0, Math.min(10000, Number((this.profile.behavior || {}).typing_delay_ms) || 0));
    for (var i = 0; i <= messages.length; i++) {
      while (actions.length && (actions[0].message_index == null ? messages.length : actions[0].message_index) <= i) {
        await this.act(actions.shift(), gen);
        if (gen !== this.gen) return;
      }
      if (i === messages.length) break;
      if (delay) {
        this.typing(true);
        await sleep(delay);
        this.typing(false);
        if (gen !== this.gen) return;
      }
      this.addBot(messages[i]);
    }
    this.settle(turn);
  };

  W.act = async function (action, gen) {
    if (action.type === "wait") {
      this.typing(true);
      await sleep(Math.max(0, Math.min(60, Number(action.seconds) || 0)) * 1000);
      if (gen === this.gen) this.typing(false);
    } else if (action.type === "redirect") {
      var url = safeUrl(action.url);
      if (!url) return;
      if (action.new_tab) {
        if (!window.open(url, "_blank", "noopener,noreferrer")) this.addLink(url);
      } else {
        this.addLink(url); // in case leaving the page is blocked
        try {
          window.top.location.href = url; // the whole page, also from the hosted page in an iframe
        } catch (e) {
          location.href = url;
        }
      }
    }
  };

  // The state a turn leaves: the pending input, or the end (announced unless only replayed).
  W.settle = function (turn, replayed) {
    this.status = turn.status;
    if (turn.status === "active" && turn.input) return this.renderInput(turn.input);
    if (turn.status === "expired") return this.restartExpired();
    this.input = null;
    var self = this;
    var text = turn.status === "failed" ? "This conversation stopped." : "This conversation has ended.";
    this.composer.replaceChildren(
      h("div", { class: "end", role: "status" }, h("span", { text: text }), h("button", { type: "button", class: "ghost", text: "Start a new conversation", onclick: function () { self.reset(); } }))
    );
    this.focusInput();
    if (!replayed) this.emit("end", { status: turn.status });
  };

  W.failure = function (error, retry) {
    var self = this;
    this.composer.replaceChildren(
      h("div", { class: "alert", role: "alert" }, h("span", { text: error.message }), retry ? h("button", { type: "button", class: "ghost", text: "Try again", onclick: function () { self.composer.replaceChildren(); retry(); } }) : null)
    );
  };

  // --- Messages -------------------------------------------------------------------------

  W.typing = function (on) {
    this.typingEl.hidden = !on;
    if (on) this.scrollDown();
  };

  W.scrollDown = function () {
    var el = this.scrollEl;
    requestAnimationFrame(function () {
      el.scrollTop = el.scrollHeight;
    });
  };

  W.addRow = function (sender, body, media) {
    var row = h("div", { class: "row " + sender });
    if (sender === "bot" && this.avatar) {
      if (this.lastSender === "bot") row.classList.add("cont");
      else row.append(h("img", { class: "avatar", src: this.avatar, alt: "" }));
    }
    row.append(h("div", { class: "msg" + (media ? " media" : "") }, body));
    this.lastSender = sender;
    this.logEl.append(row);
    var self = this;
    row.querySelectorAll("img,video,iframe").forEach(function (el) {
      el.addEventListener("load", function () {
        self.scrollDown();
      });
    });
    this.scrollDown();
    return row;
  };

  W.addBot = function (message) {
    var body = content(message);
    if (!body) return;
    this.addRow("bot", body, message.type !== "text" && !!message.url);
    if (!firstMessageMarked && perf && perf.mark) {
      firstMessageMarked = true;
      perf.mark("chatbot:first-message");
    }
  };

  W.addUser = function (text) {
    return text ? this.addRow("user", String(text)) : null;
  };

  W.addLink = function (url) {
    this.addRow("bot", h("a", { href: url, target: "_blank", rel: REL, text: url }));
  };

  W.note = function (text) {
    this.logEl.append(h("p", { class: "note", text: text }));
    this.scrollDown();
  };

  // --- Inputs ---------------------------------------------------------------------------

  W.focusInput = function () {
    var composer = this.composer;
    if (!this.opened || !this.interacted) return;
    setTimeout(function () {
      var target = composer.querySelector("input:not([type=file]),textarea,button");
      if (target) target.focus({ preventScroll: true });
    }, 0);
  };

  // What the pending input asks: the last bot text, for the controls' accessible names.
  W.prompt = function () {
    var rows = this.logEl.querySelectorAll(".row.bot .msg");
    var last = rows[rows.length - 1];
    return (last && last.textContent.slice(0, 200)) || "Your answer";
  };

  W.renderInput = function (input) {
    this.input = input;
    var o = input.options || {};
    var type = input.type;
    var control;
    if (type === "choice" || type === "picture_choice") control = this.choiceInput(input, o);
    else if (type === "rating") control = this.ratingInput(o);
    else if (type === "date_input") control = this.dateInput(o);
    else if (type === "file_upload") control = this.fileInput(o);
    else control = this.textInput(type, o);
    this.composer.replaceChildren(control);
    this.focusInput();
  };

  W.sendButton = function (label) {
    return h("button", { type: "submit", class: "send", "aria-label": label ? null : "Send", text: label || null }, label ? null : icon("send"));
  };

  var KINDS = {
    number_input: { type: "text", inputmode: "decimal" },
    email_input: { type: "email", inputmode: "email", autocomplete: "email" },
    phone_input: { type: "tel", inputmode: "tel", autocomplete: "tel" },
    url_input: { type: "url", inputmode: "url", autocomplete: "url" },
  };

  W.textInput = function (type, o) {
    var self = this;
    var kind = KINDS[type] || { type: "text" };
    var attrs = Object.assign({}, kind, {
      placeholder: o.placeholder || (this.profile.behavior || {}).input_placeholder || "",
      "aria-label": this.prompt(),
      maxlength: o.max_length || null,
      enterkeyhint: "send",
    });
    var field = o.multiline ? h("textarea", Object.assign({ rows: 2 }, attrs, { type: null, inputmode: null })) : h("input", attrs);
    if (o.multiline) {
      field.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          form.requestSubmit();
        }
      });
    }
    var form = h("form", {
      class: "field",
      novalidate: true, // the server checks answers and says what is wrong in the bot's words
      onsubmit: function (event) {
        event.preventDefault();
        var value = field.value.trim();
        if (value) self.answer(value, value);
        else field.focus();
      },
    }, field, this.sendButton());
    return form;
  };

  W.choiceInput = function (input, o) {
    var self = this;
    var multiple = !!o.multiple;
    var pictures = input.type === "picture_choice";
    var chosen = [];
    var group = h("div", { class: "choices", role: "group", "aria-label": this.prompt() });
    var send = multiple ? h("button", { type: "button", class: "send", text: "Send", disabled: true, onclick: function () {
      var picked = (input.choices || []).filter(function (c) { return chosen.indexOf(c.id) >= 0; });
      self.answer(picked.map(function (c) { return c.id; }), picked.map(function (c) { return c.label; }).join(", "));
    } }) : null;
    (input.choices || []).forEach(function (choice) {
      var image = pictures && safeUrl(choice.image_url);
      var button = h("button", { type: "button", class: "choice" + (pictures ? " pic" : ""), "aria-pressed": multiple ? "false" : null },
        image ? h("img", { src: image, alt: "", loading: "lazy" }) : null, h("span", { text: choice.label }));
      button.addEventListener("click", function () {
        if (!multiple) return self.answer(choice.id, choice.label);
        var at = chosen.indexOf(choice.id);
        if (at >= 0) chosen.splice(at, 1);
        else chosen.push(choice.id);
        button.setAttribute("aria-pressed", String(at < 0));
        send.disabled = !chosen.length;
      });
      group.append(button);
    });
    return multiple ? h("div", {}, group, h("div", { class: "actions" }, send)) : group;
  };

  W.ratingInput = function (o) {
    var self = this;
    var low = o.min == null ? 0 : Number(o.min);
    var high = o.max == null ? 10 : Number(o.max);
    var label = this.prompt() + " (" + low + " to " + high + ")";
    if (high - low <= 10) {
      var group = h("div", { class: "choices scale", role: "group", "aria-label": label });
      for (var v = low; v <= high; v++) {
        group.append(h("button", { type: "button", class: "choice", text: String(v), onclick: self.answer.bind(self, String(v), String(v)) }));
      }
      return group;
    }
    var middle = String(Math.round((low + high) / 2));
    var range = h("input", { type: "range", min: low, max: high, step: 1, value: middle, "aria-label": label });
    var output = h("output", { class: "output", text: middle });
    range.addEventListener("input", function () {
      output.textContent = range.value;
    });
    return h("form", { class: "field", onsubmit: function (event) { event.preventDefault(); self.answer(range.value, range.value); } }, range, output, this.sendButton());
  };

  W.dateInput = function (o) {
    var self = this;
    var type = o.with_time ? "datetime-local" : "date";
    var bound = function (value) {
      return value ? String(value).slice(0, 10) + (o.with_time ? "T00:00" : "") : null;
    };
    var make = function (label) {
      return h("input", { type: type, min: bound(o.min), max: bound(o.max), "aria-label": label ? null : self.prompt() });
    };
    var start = make(o.range);
    var end = o.range ? make(true) : null;
    var form = h("form", {
      class: "field",
      novalidate: true,
      onsubmit: function (event) {
        event.preventDefault();
        if (!start.value) return start.focus();
        if (end && !end.value) return end.focus();
        if (end) self.answer([start.value, end.value], start.value + " – " + end.value);
        else self.answer(start.value, start.value);
      },
    });
    if (end) form.append(h("label", { text: "From" }, start), h("label", { text: "To" }, end));
    else form.append(start);
    form.append(this.sendButton());
    return form;
  };

  W.fileInput = function (o) {
    var self = this;
    var limit = Math.min(Number(o.max_size_mb) || Infinity, Number(((this.profile || {}).uploads || {}).max_size_mb) || Infinity);
    var picker = h("input", { type: "file", accept: (o.allowed_types || []).join(",") || null, hidden: true, "aria-hidden": "true", tabindex: "-1" });
    var status = h("div", { class: "alert", role: "alert" });
    var choose = h("button", { type: "button", class: "send", text: "Choose a file", "aria-label": this.prompt() + ": choose a file", onclick: function () { picker.click(); } });
    picker.addEventListener("change", async function () {
      var file = picker.files[0];
      picker.value = "";
      if (!file) return;
      if (file.size > limit * 1048576) {
        status.textContent = "This file is larger than " + limit + " MB.";
        return;
      }
      status.textContent = "";
      choose.disabled = true;
      choose.textContent = "Uploading…";
      var body = new FormData();
      body.append("file", file);
      try {
        var upload = await call("POST", "sessions/" + encodeURIComponent(self.session) + "/files/", body);
      } catch (e) {
        choose.disabled = false;
        choose.textContent = "Choose a file";
        if (e.status === 409 || e.status === 410 || e.status === 404) return self.recover(e, self.input);
        status.textContent = e.message;
        return;
      }
      self.answer(upload.upload_id, upload.name);
    });
    var skip = o.required === false ? h("button", { type: "button", class: "ghost", text: "Skip", onclick: function () { self.answer(null, ""); } }) : null;
    return h("div", {}, h("div", { class: "actions" }, skip, choose), picker, status);
  };

  // --- Answering ------------------------------------------------------------------------

  W.answer = async function (value, shown) {
    if (this.busy || !this.input) return;
    this.busy = true;
    this.interacted = true;
    var input = this.input;
    var gen = this.gen;
    // Keep the focus in the chat while the answer is on its way (Escape, Tab still work).
    if (this.composer.contains(this.root.activeElement)) this.panel.focus({ preventScroll: true });
    this.composer.replaceChildren();
    var bubble = this.addUser(shown);
    this.typing(true);
    try {
      var turn = await call("POST", "sessions/" + encodeURIComponent(this.session) + "/reply/", { value: value, node_id: input.node_id });
    } catch (e) {
      this.busy = false;
      if (gen !== this.gen) return;
      this.typing(false);
      if (bubble) bubble.remove();
      return this.recover(e, input, value);
    }
    this.busy = false;
    if (gen !== this.gen) return;
    this.typing(false);
    await this.play(turn, gen);
  };

  // A refused answer or upload: start anew if the session is gone, catch up if it moved on,
  // else say why and offer the same input again.
  W.recover = function (error, input, value) {
    if (error.status === 410 || error.status === 404) return this.restartExpired(error.status === 410);
    if (error.status === 409) return this.resume(this.session, true);
    this.renderInput(input);
    var field = this.composer.querySelector("input:not([type=file]):not([type=range]),textarea");
    if (field && typeof value === "string") field.value = value; // what they typed, to send again
    this.composer.prepend(h("div", { class: "alert", role: "alert", text: error.message }));
  };

  // --- Public API -----------------------------------------------------------------------

  var api = (window.Chatbot = window.Chatbot || {});
  if (!api.init) {
    var instances = {};
    var pick = function (bot) {
      return bot ? instances[bot] : instances[Object.keys(instances)[0]];
    };
    var forward = function (method) {
      return function () {
        var args = Array.prototype.slice.call(arguments);
        var bot = method === "setVariables" ? args[1] : args[0];
        var widget = pick(bot);
        if (widget) return widget[method](args[0]);
      };
    };
    api.init = function (options) {
      if (!options || !options.bot) throw new Error("Chatbot.init needs {bot: PUBLIC_ID}.");
      if (instances[options.bot]) return instances[options.bot];
      var container = options.container;
      if (typeof container === "string") container = document.querySelector(container);
      if ((options.mode || "bubble") === "standard" && !container) {
        if (options.container) console.warn("Chatbot: no element matches " + options.container + "; the chat goes here.");
        container = h("div", { class: "chatbot-container" });
        container.style.height = "600px";
        if (options.script && options.script.parentNode) options.script.before(container);
        else document.body.append(container);
      }
      var widget = new Widget(Object.assign({}, options, { container: container }));
      instances[options.bot] = widget;
      widget.emit("ready");
      return widget;
    };
    api.get = pick;
    ["open", "close", "toggle", "reset"].forEach(function (name) {
      api[name] = forward(name);
    });
    api.setVariables = forward("setVariables");
    document.addEventListener("click", function (event) {
      var trigger = event.target.closest && event.target.closest("[data-chatbot-open]");
      if (!trigger) return;
      var widget = pick(trigger.getAttribute("data-chatbot-open"));
      if (widget) {
        event.preventDefault();
        widget.open();
      }
    });
  }

  if (script && script.dataset.bot) {
    var data = script.dataset;
    var variables = {};
    if (data.variables) {
      try {
        variables = JSON.parse(data.variables);
      } catch (e) {
        console.warn("Chatbot: data-variables is not valid JSON; ignored.");
      }
    }
    if (data.urlVariables === "true") {
      var fromUrl = {};
      new URLSearchParams(location.search).forEach(function (value, name) {
        fromUrl[name] = value;
      });
      variables = Object.assign(fromUrl, variables);
    }
    var mount = function () {
      api.init({
        bot: data.bot,
        mode: data.mode,
        container: data.container,
        variables: variables,
        autoOpen: data.autoOpen,
        // Not inside another site's iframe: focusing there would scroll that site's page.
        autofocus: data.autofocus === "true" && window.self === window.top,
        script: script,
      });
    };
    if (document.body) mount();
    else document.addEventListener("DOMContentLoaded", mount);
  }
})();

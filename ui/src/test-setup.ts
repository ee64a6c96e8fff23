// jsdom has no layout engine: cmdk's list measures itself and scrolls the active item into view, so
// these two browser APIs get inert stand-ins here (the real ones run in the WebKitGTK end-to-end test).
class NoLayoutResizeObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
}
globalThis.ResizeObserver ??= NoLayoutResizeObserver;
Element.prototype.scrollIntoView ??= function () {};

// A static, client-rendered app: every route is prerendered as an empty shell and
// hydrates in the browser, where the data lives (IndexedDB). The SPA fallback serves the rest.
export const ssr = false;
export const prerender = true;
export const trailingSlash = 'never';

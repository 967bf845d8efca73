/** The app's sections, in navigation order. */
export const Sections = [
  { path: '/', label: 'Live', icon: '◉' },
  { path: '/explore', label: 'Explore', icon: '⌕' },
  { path: '/dashboards', label: 'Dashboards', icon: '▦' },
  { path: '/energy', label: 'Energy', icon: '⚡' },
  { path: '/events', label: 'Events', icon: '≡' },
  { path: '/usage', label: 'Usage', icon: '▤' },
  { path: '/insights', label: 'Insights', icon: '✦' },
  { path: '/alerts', label: 'Alerts', icon: '⚑' },
  { path: '/import', label: 'Import', icon: '⇩' },
  { path: '/export', label: 'Export', icon: '⇧' },
  { path: '/settings', label: 'Settings', icon: '⚙' }
] as const;

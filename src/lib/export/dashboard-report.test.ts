import { describe, expect, it } from 'vitest';
import { writeDashboardReport } from './dashboard-report';

describe('writeDashboardReport', () => {
  const html = writeDashboardReport({
    title: 'Executive <summary>',
    createdAt: 0,
    scope: 'Last 24 hours',
    privacy: ['ids pseudonymised'],
    panels: [
      { kind: 'value', title: 'Success', text: '93.5 %', level: 'warn', spark: [1, 2, NaN, 3] },
      { kind: 'table', title: 'Top', columns: ['a'], rows: [['<script>x</script>']] },
      {
        kind: 'chart',
        title: 'CPU',
        unit: '%',
        from: 0,
        to: 1000,
        lines: [{ label: 'cpu', color: '#123456', t: [0, 500, 1000], v: [1, NaN, 3] }]
      },
      { kind: 'note', title: 'N', text: '<img src=x>' }
    ]
  });

  it('is self-contained: a CSP that fetches nothing, no script, no external URL', () => {
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<script|src=["']?http|href=["']?http|url\(/i);
  });

  it('escapes every text and draws charts as inline SVG with gaps', () => {
    expect(html).toContain('Executive &lt;summary&gt;');
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x&gt;');
    expect(html).toMatch(/<path d="M0\.0,[\d.]+M640\.0,[\d.]+"/);
    expect(html).toContain('@media print');
  });

  it('has the title and scope only without panels', () => {
    const empty = writeDashboardReport({
      title: 't',
      createdAt: 0,
      scope: 's',
      privacy: [],
      panels: []
    });
    expect(empty).toContain('<div class="panels"></div>');
  });
});

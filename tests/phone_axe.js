// axe-core (injected by tests/test_browser_phone_pages.py) on the page: serious and critical violations.
async () => {
  const result = await axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    resultTypes: ['violations'],
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      rule: 'axe ' + v.id,
      detail: `${v.impact}: ${v.help} (${v.nodes.length}×) ` + v.nodes.slice(0, 3).map(
        (n) => n.target.join(' ') + (n.failureSummary ? ' — ' + n.failureSummary.split('\n').slice(1, 2).join('') : '')
      ).join('; '),
    }));
}

// axe-core's findings on the page, one per rule it breaks: the rule, its impact
// (minor, moderate, serious or critical), what it asks for, how many elements break it
// and the first three of them.
async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
    targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
  }));
}

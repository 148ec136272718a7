// Tables: a value (a body cell) whose text wraps; cells whose left or right padding is
// under 0.3 em (neighbouring values touch); a table wider than the column that does not
// scroll inside a box of its own within the column (it would widen the page, or scroll
// the whole text sideways: pydata-sphinx-theme lets .bd-article-container scroll).
() => {
  const article = document.querySelector('article.bd-article') || document.body;
  const a = getComputedStyle(article);
  const column = article.getBoundingClientRect();
  const columnRight = column.right - parseFloat(a.paddingRight);
  // The number of lines the text of `el` takes: the distinct tops of its line boxes.
  const lines = el => {
    const tops = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode());) {
      if (!node.data.trim() || node.parentElement.closest('mjx-container')) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width > 0) tops.push(r.top);
    }
    tops.sort((x, y) => x - y);
    const half = parseFloat(getComputedStyle(el).fontSize) / 2;
    return tops.filter((top, i) => i === 0 || top - tops[i - 1] > half).length;
  };
  const scroller = el => {
    for (let b = el.parentElement; b && b !== article; b = b.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(b).overflowX)) return b;
    }
    return null;
  };
  const label = cell => cell.textContent.trim().replace(/\s+/g, ' ').slice(0, 30);
  return [...article.querySelectorAll('table')].map((table, i) => {
    const values = [...table.querySelectorAll('td, tbody th')];
    const cells = [...table.querySelectorAll('td, th')];
    const box = scroller(table);
    const right = table.getBoundingClientRect().right;
    const em = cell => parseFloat(getComputedStyle(cell).fontSize);
    const pad = cell => Math.min(parseFloat(getComputedStyle(cell).paddingLeft),
                                 parseFloat(getComputedStyle(cell).paddingRight));
    return {
      table: `table ${i + 1} (${label(table)}…)`,
      wrapped: values.filter(cell => lines(cell) > 1).map(label),
      tight: cells.filter(cell => pad(cell) < 0.3 * em(cell))
                  .map(cell => `${label(cell)} (${pad(cell)} px)`),
      spills: right > columnRight + 1 &&
              !(box && box.getBoundingClientRect().right <= columnRight + 1),
      width: Math.round(table.getBoundingClientRect().width),
      column: Math.round(columnRight - column.left - parseFloat(a.paddingLeft)),
    };
  });
}

// Where, on the screen, the explorer's heatmap draws entry [i, j] of R (row i: after
// training on i tasks; column j: the task tested): the middle of its cell, in CSS px.
([i, j]) => {
  const gd = document.querySelector('article [id^="explorer-"] .plotly-graph-div');
  const {xaxis, yaxis} = gd._fullLayout;
  const box = gd.getBoundingClientRect();
  return {x: box.left + xaxis._offset + xaxis.l2p(j),
          y: box.top + yaxis._offset + yaxis.l2p(i)};
}

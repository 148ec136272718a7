// Each block of code (`outputs` false) or of cell output (true): by how much it scrolls
// sideways, its longest line, and how many characters of its font a line of it holds.
(outputs) => {
  const canvas = document.createElement('canvas').getContext('2d');
  const holds = pre => {
    const s = getComputedStyle(pre);
    canvas.font = `${s.fontSize} ${s.fontFamily}`;
    const padding = parseFloat(s.paddingLeft) + parseFloat(s.paddingRight);
    const character = canvas.measureText('0'.repeat(100)).width / 100;
    return Math.floor((pre.clientWidth - padding) / character);
  };
  return [...document.querySelectorAll('article pre')]
    .filter(pre => !!pre.closest('.cell_output') === outputs)
    .map(pre => ({
      over: pre.scrollWidth - pre.clientWidth,
      longest: Math.max(...pre.textContent.split('\n').map(line => line.length)),
      holds: holds(pre),
      text: pre.textContent.trim().slice(0, 60),
    }));
}

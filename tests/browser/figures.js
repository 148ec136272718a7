// The figures (images in cell outputs and in figure elements): their size in the image
// and on the screen.
() => [...document.querySelectorAll(
    'article .cell_output img, article figure img')]
  .map(img => ({src: img.currentSrc || img.src, natural: img.naturalWidth,
                naturalHeight: img.naturalHeight,
                shown: img.getBoundingClientRect().width}))

// Every image of the page, loaded (lazy ones too, or failed): its address, and its
// natural width (0: it did not load).
async () => {
  const images = [...(document.querySelector('main') || document.body)
                  .querySelectorAll('img')];
  images.forEach(img => { img.loading = 'eager'; });
  await Promise.all(images.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener('load', done); img.addEventListener('error', done);
  })));
  return images.map(img => ({src: img.currentSrc || img.src, width: img.naturalWidth}));
}

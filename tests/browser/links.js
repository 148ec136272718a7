// Every link of the page, and the anchors (#id) it links to that no element has.
() => {
  const links = [...document.querySelectorAll('a[href]')];
  const missing = links.map(a => a.getAttribute('href'))
    .filter(href => href.startsWith('#') && href.length > 1)
    .filter(href => !document.getElementById(decodeURIComponent(href.slice(1))));
  return {links: links.map(a => a.href), missing: [...new Set(missing)]};
}

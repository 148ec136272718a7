// Bootstrap's tooltips on the screen (even while fading in or out): their text.
() => [...document.querySelectorAll('.tooltip')]
  .filter(t => t.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}))
  .map(t => t.textContent.trim())

// Whether the search (opened by the header's search button) is shown.
() => !!document.querySelector('.search-button__wrapper.show')

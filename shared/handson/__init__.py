"""Executed Hands-on: run the shell steps a book page shows and compare what they print.

A chapter page's Hands-on section shows ```` ```console ```` blocks (``$ command`` lines, each
followed by what it printed) and ```` ```bash ```` blocks (setup, no output shown). The runner
extracts them (:mod:`.extract`), runs them with bash in a fresh copy of the chapter
(:mod:`.runner`) and compares each output with the page once the volatile parts are masked
(:mod:`.compare`). ``python -m shared.handson`` runs pages and prints, per page, the figures the
book's closing note quotes.
"""

"""The public disclosure page (考核结果公开): read-only, no sign-in, aggregates only.

``liudong public`` serves, on loopback (a reverse proxy publishes it), the current two-way
league and agreement coverage of the region's own counties, the bulletins published in the
public folder (public editions only), and the rules in force: indicator definitions and
weights, in Chinese (English with ``?lang=en``). County counts below the threshold
(``LIUDONG_PUBLIC_SUPPRESS_BELOW``, default 5) are withheld. It is off unless
``LIUDONG_PUBLIC_PAGE=on``.
"""

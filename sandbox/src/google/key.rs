//! The built-in service account's RSA key. SANDBOX-ONLY TEST KEY: generated once for this emulator,
//! published with the source, it protects nothing. Never use it anywhere else.

pub const PRIVATE_KEY_PEM: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCeh/G/Hvs1Qw6g\n\
pDu1YXtkgbeE/egvs94loJvj9yFLi1cO/IqdwQ82XF+8a9HilqfRd6B3qUjKUTJz\n\
GuzOu66GVabCHGIxnjToX9CoZy6/JDn7L9cZjL304WBfdWb436uZRNnzdwEsE0sq\n\
DhePGSPm78R+wnzeb979fJWpzByRci/rqOMMdL6vcBn08HNaE3hEnP91DW1Jrhx9\n\
k2zH8T7RAO6NaQuqHVFkB6vxxOVivBH5oysfEmCtQnBjsBIkPHkHBPvIWYliwAX3\n\
z9fIP3KpiMOgbG9uTrU90s5mT7AGJ2bfdtRoDukqatlA8ahfivWwSqtLmN/RIBcn\n\
l8BLZIGhAgMBAAECggEADq8r8taVUUktVS7xQutNKTGkxKJaO/TuulCGsBaHlH5L\n\
KZ2130fvN0tWKNdZ4SGwWMQ6bmsVTXw47pWLYtjaoSHU6P0FEXCEmROq+bZZC6Z4\n\
4m37gCfbvo+TxDPVPm9Fb1SD1bvrtV/yIeqdPwmGnFEQQ+eS9m2pW5SLLme0K7qh\n\
HNx2Qw15GNaz8EHUVxETIYmHSAZ9DsZUJelJqFl3ayLSWpWZBQoNPbY9XOhkGoSM\n\
guxjI4zGN4o7y3I7JndFu/9g6ECn53oS5pv1GnqZB+YpzbdI3I6567YLBOO65ZCd\n\
3HffUCkQh5Bih6QJXzCk7wNlAm2bwcSAmq16winZGwKBgQDTrQQrNOteky0eKQOx\n\
GYwnUk7bSoPZ5hMRzRlHz2q48grfD4kpIZUSZNFjonWaT9YWt/cNVXlnef7d1mF/\n\
vB3/dPRqn4wm+BMlCA/JXt5+XQ/Dl2Uheh1+g+E2YhHgHHrBd1tPmVbbWPqckMHR\n\
uz8cMAsVPcB7nc3M+A+7Qt0IRwKBgQC/uhNDvn+Fq/fi2qGbDvBbMHrZsIvD3/O7\n\
H5RqBTFTbg8RhRZ9/dQJcxP+gQo3Z6KHCLQQIG5+7s0ZffoDwSVG7sXy/a37PUdr\n\
hjkOtaMD1sPIOhHi3ewTOIsGG3I4BVv0aSbko9ttdPXvzyM/9GZT8DLvEFQSVJVj\n\
tnRUE74C1wKBgQCUdFRnJQ8p3hiXfXZcX6l+7mflvkXorUaUhn6DcYHMwdxEArZU\n\
hXvyUYjU0tyd4/4nItB+poKlwtavqKnqlvmG7vR4TvtRXUy3/QZtWT676vKiX2yK\n\
5QUIdN+fb3pP7kldpCMDGWzkG2xwH8n/GM6zKzKqrAtx5wOuDA+kaslwAwKBgQCP\n\
UOunnxW5+SNyKxXUT6VxtNqQMT04rQaHIQMTAVCu2b1fzklS4tOGQMR4YUMeyVQf\n\
dm0LBQMz1RPxc07ZUZ6o2EGV8vUDsfnaMVojWblCXF67JFVMbbFTaNfbN9b4c2Ea\n\
YSPWk3mp510T5pWl7+4x3oJkW6NMlHebMr7gPmWxvwKBgBaf9Kq7BLaoiniGaXVn\n\
lc294ZiP7vNLltMPrZxBz6p7PuqhvRISbBfy8nxlZnAyD0AvVwydsvT9vbDY62T5\n\
d6qg2vDN9Ffb+t8/5S4MX2yAAwicWLr2KqQgHGas/AYa9zSnigroO8s1ls2+tDX+\n\
SWG64sOCak4GZICoQn/QTJ/0\n\
-----END PRIVATE KEY-----\n\
";

module openchami.org/vbmc/bench/coldclient

go 1.19

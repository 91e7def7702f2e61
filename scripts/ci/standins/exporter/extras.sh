#!/bin/sh
# extras.sh NAME — what the stand-in NAME (a line of images.txt) has besides its program, put into /out
# (run in the build stage of exporter/Dockerfile).
set -eu
case "$1" in
  prometheus)
    sh /copy-with-libs.sh /out /usr/bin/promtool
    mv /out/usr/bin/promtool /out/bin/promtool.tmp && mv /out/bin/promtool.tmp /out/bin/promtool
    mkdir -p /out/etc/prometheus /out/usr/share/prometheus /out/prometheus
    cp -aL /etc/prometheus/consoles /etc/prometheus/console_libraries /out/usr/share/prometheus/ 2>/dev/null
    printf 'global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: [localhost:9090]\n' \
      >/out/etc/prometheus/prometheus.yml
    chown -R 65534:65534 /out/etc/prometheus /out/prometheus
    ;;
  alertmanager)
    sh /copy-with-libs.sh /out /usr/bin/amtool
    mv /out/usr/bin/amtool /out/bin/amtool.tmp && mv /out/bin/amtool.tmp /out/bin/amtool
    mkdir -p /out/etc/alertmanager /out/alertmanager
    printf 'route:\n  receiver: default\nreceivers:\n  - name: default\n' >/out/etc/alertmanager/alertmanager.yml
    mkdir -p /out/usr/share/prometheus/alertmanager
    cp -aL /usr/share/prometheus/alertmanager/. /out/usr/share/prometheus/alertmanager/
    chown -R 65534:65534 /out/etc/alertmanager /out/alertmanager
    ;;
  blackbox-exporter)
    mkdir -p /out/etc/blackbox_exporter
    cp /etc/prometheus/blackbox.yml /out/etc/blackbox_exporter/config.yml
    ;;
esac

#!/bin/sh
# Prints what Telegraf runs, from the one source in this directory (POSIX sh and sed: it also
# runs inside the telegraf and apache/kafka images, for docker-compose.yml):
#
#   render.sh [conf]   telegraf.conf.in, then kafka_consumer.conf.in once per line of apps, with
#                      @APP@ the app and @AVRO_TAGS@ "application" and the app's influxTags
#   render.sh topics   the topic of each app, one a line
#
# The ${TELEGRAF_...} variables are left for Telegraf to substitute from its environment.
set -eu
dir="$(dirname "$0")"
mode="${1:-conf}"
case "$mode" in
conf) cat "$dir/telegraf.conf.in" ;;
topics) ;;
*)
	echo "usage: $0 [conf|topics]" >&2
	exit 2
	;;
esac
# The apps file without comments and blank lines, then one app per line.
sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$dir/apps" | while read -r app tags; do
	if [ "$mode" = topics ]; then
		sed -n "s/^ *topics = \[\"\(.*\)\"\]\$/\1/p" "$dir/kafka_consumer.conf.in" | sed "s/@APP@/$app/"
		continue
	fi
	avro_tags='"application"'
	for tag in $tags; do
		avro_tags="$avro_tags, \"$tag\""
	done
	sed -e "s/@APP@/$app/g" -e "s/@AVRO_TAGS@/$avro_tags/g" "$dir/kafka_consumer.conf.in"
done

# bash completion for the kite tools (installed by make install, one link per tool)
_kite_devices()
{
	local d
	for d in /dev/kite[0-9]* /sys/bus/pci/devices/*; do
		[ -e "$d" ] && echo "${d##*/}"
	done
	ls /tmp/*.sock 2>/dev/null | sed 's/^/emu:/'
}

_kite()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} tool=${COMP_WORDS[0]##*/}
	local opts
	case $prev in
	-d|--dev) COMPREPLY=($(compgen -W "$(_kite_devices)" -- "$cur")); return ;;
	-w|--write|--json|--trace|--net|-s|--stats|--socket) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	esac
	case $tool in
	kite-regs)
		if [ "$COMP_CWORD" -ge 2 ] && [[ " get set watch " == *" ${COMP_WORDS[1]} "* ]]; then
			COMPREPLY=($(compgen -W "$(kite-regs names 2>/dev/null)" -- "${cur%%[\[.=]*}"))
			return
		fi
		opts="list dump get set watch commit diff --dev --yes --json --group --raw --interval
		      --count --no-commit --help --version" ;;
	kite-stat) opts="--dev --interval --count --all --json --info --port --queue --net --help
		--version" ;;
	kite-capture) opts="--dev --udp --ip --mac --all --default --queue --port --write --count
		--time --filter --help --version" ;;
	kite-pingpong) opts="--dev --iters --warmup --timeout --mode --size --queue --cpu --peer-cpu
		--floor --no-device --json --breakdown --help --version" ;;
	kite-bind) opts="--status --unbind --board --force --help --version kite vfio-pci uio_kite" ;;
	kite-emu) opts="--socket --wire --cpu --bar-file --guest-ram --tap --fault-hooks --trace
		--contract --clock-ppm --clock-jump --help --version" ;;
	kite-clock-sync) opts="--device --interval --readings --lock --monitor --seconds --source
		--source-offset --verbose
		--help --version" ;;
	kite-responder) opts="--dev --addr --gateway --udp --port --queue --time --stats --help --version" ;;
	kite-md-pub) opts="--dev --addr --port --queue --count --time --stats --group --rate
		--instruments --card-time --help --version" ;;
	kite-md-sub) opts="--dev --addr --port --queue --count --time --stats --join --udp --ring
		--help --version" ;;
	kite-sockperf) opts="--dev --addr --gateway --udp --port --queue --time --stats --help
		--version" ;;
	kite-fwd) opts="--dev --port --queue --time --batch --swap-mac --help --version" ;;
	esac
	COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _kite kite-regs kite-stat kite-capture kite-pingpong kite-bind kite-emu kite-responder \
	kite-clock-sync kite-md-pub kite-md-sub kite-sockperf kite-fwd

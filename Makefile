# popgate - plain Makefile. `make` leaves popgated and popgate-dump here.
# Every src/STAGE/*.c except the two mains goes into build/libpopgate.a;
# every tests/unit/test_*.c becomes a cmocka binary linked with it. A stage
# sees include/ and its own directory; tests see every stage's directory.
# Header dependencies come from the compiler (-MMD -MP).

CC ?= cc
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
SANITIZE ?=
PKGS = lmdb libpcre2-8 json-c

OPT = -O2 -g
ifeq ($(SANITIZE),1)
OPT = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
      -fno-sanitize-recover=undefined -DPOPGATE_SANITIZE=1
endif
ifeq ($(SANITIZE),fuzz)
OPT = -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
      -fno-sanitize-recover=undefined -DPOPGATE_SANITIZE=1 -DPOPGATE_FUZZ=1
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
HAVE_SYSTEMD := $(shell pkg-config --exists libsystemd 2>/dev/null && echo 1)
ifeq ($(HAVE_SYSTEMD),1)
PKG_LIBS += $(shell pkg-config --libs libsystemd)
SYSTEMD_DEF = -DHAVE_SYSTEMD=1
endif
CPPFLAGS += -Iinclude -D_GNU_SOURCE $(PKG_CFLAGS) $(SYSTEMD_DEF)
CFLAGS += -std=c99 -Wall -Wextra -Werror $(OPT)
DEPFLAGS = -MMD -MP
STAGE_DIRS = $(sort $(dir $(wildcard src/*/*.c)))
TEST_CPPFLAGS = $(addprefix -I,$(STAGE_DIRS))
LDLIBS += $(PKG_LIBS) -linotifytools -lz -llzma -lzstd -lpthread

MAINS = src/master/popgated.c src/dump/popgate-dump.c
LIB_SRCS = $(filter-out $(MAINS), $(wildcard src/*/*.c))
LIB_OBJS = $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o)
LIB = $(BUILD)/libpopgate.a
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TEST_BINS = $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/bin/*.c))
DEPS = $(wildcard $(BUILD)/obj/*/*.d $(BUILD)/tests/*.d $(BUILD)/tests/bin/*.d $(BUILD)/bench/*.d $(BUILD)/*.d)

.PHONY: all deps deps-build run test check-build install uninstall deb clean bench fuzz fuzz-build stress

all: popgated popgate-dump

popgated popgate-dump: %: $(BUILD)/%
	cp $< $@

$(BUILD)/popgated: src/master/popgated.c $(LIB)
$(BUILD)/popgate-dump: src/dump/popgate-dump.c $(LIB)
$(BUILD)/popgated $(BUILD)/popgate-dump:
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -I$(<D) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -I$(<D) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(TEST_CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -Itests/unit -o $@ $< $(LIB) $(LDLIBS) -lcmocka

$(BUILD)/tests/bin/%: tests/bin/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(TEST_CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# benchmark programs tests/bench/bench_*.c (bench_common.c is their shared
# part); bench_scale counts LMDB transactions through --wrap
BENCH_BINS = $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(filter-out tests/bench/bench_common.c,$(wildcard tests/bench/bench_*.c)))
$(BUILD)/bench/bench_scale: BENCH_LDFLAGS = -Wl,--wrap=mdb_txn_begin,--wrap=mdb_txn_commit
$(BUILD)/bench/%: tests/bench/%.c tests/bench/bench_common.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(TEST_CPPFLAGS) $(CFLAGS) $(DEPFLAGS) $(BENCH_LDFLAGS) -o $@ $< tests/bench/bench_common.c $(LIB) $(LDLIBS)

# libFuzzer harnesses tests/fuzz/fuzz_*.c, built with clang into build/fuzz
FUZZ_BINS = $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 300
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(TEST_CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(LDLIBS)

fuzz-build:
	$(MAKE) BUILD=build/fuzz CC=clang SANITIZE=fuzz $(FUZZ_BINS)

fuzz: deps fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run-fuzz.sh

# everything a test run needs from one build directory
check-build: $(BUILD)/popgated $(BUILD)/popgate-dump $(UNIT_BINS) $(TEST_BINS)

deps:
	@sh tests/deps.sh

deps-build:
	@sh tests/deps.sh build

run: deps-build all
	@mkdir -p var
	./popgated -f -c contrib/popgate-local.conf

# unit tests of the normal build, then the whole suite on the ASan+UBSan
# build; tests/run-tests.sh prints the summary line
test: deps
	$(MAKE) check-build
	$(MAKE) BUILD=build/san SANITIZE=1 check-build
	$(MAKE) fuzz-build
	sh tests/run-tests.sh build build/san

# benchmarks: ratios against baselines measured in the same run
bench: deps
	$(MAKE) check-build $(BENCH_BINS)
	sh tests/bench/run.sh $(BUILD)

# crash stress: 100 k logins through rotations, 100 SIGKILLs (make test
# runs a short version of the same script)
stress: deps
	$(MAKE) BUILD=build/san SANITIZE=1 check-build
	PYTHONPATH=$(CURDIR)/tests/lib POPGATE_TOP=$(CURDIR) POPGATED=$(CURDIR)/build/san/popgated \
	POPGATE_DUMP=$(CURDIR)/build/san/popgate-dump POPGATE_BUILD=$(CURDIR)/build/san \
	STRESS=full tests/stress/crash_stress.t

# install / uninstall: everything under PREFIX (the configuration under
# SYSCONFDIR, /etc, where the programs look by default); the unit, sysusers
# and tmpfiles snippets go where systemd reads them for that prefix
# (/usr/local/lib/systemd/system, ... for the default /usr/local)
SBINDIR = $(PREFIX)/sbin
MANDIR = $(PREFIX)/share/man
DOCDIR = $(PREFIX)/share/doc/popgate
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
EXAMPLES = contrib/popgate.conf contrib/popgate-local.conf \
	contrib/postfix-main.cf.snippet contrib/dovecot-logging.conf \
	contrib/rsyslog-popgate.conf contrib/logrotate.popgate \
	$(sort $(wildcard contrib/mta/*))
INSTALLED = $(SBINDIR)/popgated $(SBINDIR)/popgate-dump \
	$(MANDIR)/man8/popgated.8 $(MANDIR)/man8/popgate-dump.8 \
	$(MANDIR)/man5/popgate.conf.5 $(SYSTEMDUNITDIR)/popgated.service \
	$(SYSUSERSDIR)/popgate.conf $(TMPFILESDIR)/popgate.conf \
	$(addprefix $(DOCDIR)/examples/,$(notdir $(EXAMPLES)))

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(SYSCONFDIR)/popgate \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(DOCDIR)/examples
	install -m 0755 popgated popgate-dump $(DESTDIR)$(SBINDIR)/
	install -m 0644 src/master/popgated.8 src/dump/popgate-dump.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 src/config/popgate.conf.5 $(DESTDIR)$(MANDIR)/man5/
	test -e $(DESTDIR)$(SYSCONFDIR)/popgate/popgate.conf || \
		install -m 0644 contrib/popgate.conf $(DESTDIR)$(SYSCONFDIR)/popgate/popgate.conf
	sed -e 's|/usr/sbin/|$(SBINDIR)/|g' -e 's|/etc/popgate/|$(SYSCONFDIR)/popgate/|g' \
		contrib/popgated.service > $(DESTDIR)$(SYSTEMDUNITDIR)/popgated.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/popgated.service
	install -m 0644 contrib/popgate.sysusers $(DESTDIR)$(SYSUSERSDIR)/popgate.conf
	install -m 0644 contrib/popgate.tmpfiles $(DESTDIR)$(TMPFILESDIR)/popgate.conf
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/

# uninstall: what install put there, except a configuration file (yours)
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null
	@test ! -e $(DESTDIR)$(SYSCONFDIR)/popgate/popgate.conf || \
		echo "uninstall: $(DESTDIR)$(SYSCONFDIR)/popgate/popgate.conf kept (remove it by hand)"

# deb: a Debian package from debian/ (debhelper), unsigned, into build/deb
deb:
	@sh tests/deps.sh deb
	rm -rf build/deb && mkdir -p build/deb/src
	git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -x -C build/deb/src
	cd build/deb/src && dpkg-buildpackage -us -uc -b
	lintian --fail-on error build/deb/*.changes

clean:
	rm -rf build popgated popgate-dump var

-include $(DEPS)

#!/usr/bin/perl
# baseline2.pl - the simplest POP-before-SMTP script a site would write:
# a while(<>) loop with one Dovecot and one Courier regex, remembering
# each login's address in a hash. catchup_vs_perl compares popgated's
# whole catch-up (start, read, match, commit, answer) with this loop.
#   perl baseline2.pl LOGFILE   -> "lines=N logins=M"
# Benchmark code only; never run by make test.
use strict;
use warnings;

my ($lines, $logins, %seen) = (0, 0);
while (my $line = <>) {
	$lines++;
	if ($line =~ /(?:pop3|imap)-login: Login: user=<[^>]*>, method=\S+, rip=([0-9A-Fa-f:.]+),/ ||
	    $line =~ /(?:pop3|imap)d(?:-ssl)?: LOGIN, user=\S+, ip=\[(?:::ffff:)?([0-9A-Fa-f:.]+)\]/) {
		$seen{$1} = time;
		$logins++;
	}
}
print "lines=$lines logins=$logins\n";

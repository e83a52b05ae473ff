#!/usr/bin/perl
# baseline.pl - what the classic Perl POP-before-SMTP tools do per line:
# try every regex on every line and take the ip group. The regexes are
# popgate's own built-in rules ("login|logout TAB regex" a line in
# PATTERNS, printed by bench_ingest formats), so both sides do the same
# matching work; a line counts as a login when the first rule it matches
# is a login rule.
#   perl baseline.pl PATTERNS LOGFILE   -> "lines=N logins=M"
# Benchmark code only; never run by make test.
use strict;
use warnings;

my ($patterns, $log) = @ARGV;
die "usage: baseline.pl PATTERNS LOGFILE\n" unless defined $log;
open(my $pf, '<', $patterns) or die "$patterns: $!\n";
my @re;
while (my $l = <$pf>) {
	chomp $l;
	my ($kind, $src) = split(/\t/, $l, 2);
	push(@re, [qr/$src/, $kind eq 'login']) if defined $src;
}
close($pf);

my ($lines, $logins, %seen) = (0, 0);
open(my $fh, '<:raw', $log) or die "$log: $!\n";
while (my $line = <$fh>) {
	chomp $line;
	$lines++;
	next if length($line) > 16384;
	for my $r (@re) {
		if ($line =~ $r->[0]) {
			if ($r->[1] && defined $+{ip}) {
				$seen{$+{ip}} = time;
				$logins++;
			}
			last;
		}
	}
}
close($fh);
print "lines=$lines logins=$logins\n";

/* mfp-sim ldap: the directory from the service menu (fw_ldap.h).
 *
 *   mfp-sim ldap search PREFIX [--json]   autocomplete suggestions for PREFIX
 *   mfp-sim ldap test                     the E-mail Setup LDAP Test
 *   mfp-sim ldap signin USER --password-file F   Sign in as USER
 *   mfp-sim ldap type TEXT                feeds TEXT to autocomplete one
 *                                         character at a time and prints, per
 *                                         keystroke, requests, bytes and times
 * with the LDAP settings as options (see mfp-sim ldap --help) and the
 * network options of every command. Passwords are read from files (or the
 * environment) and never printed. Exit status 0 only on success. */
#ifndef SIM_LDAP_H
#define SIM_LDAP_H

/* argv[0] is "ldap". Returns the exit status. */
int sim_ldap_main(int argc, char **argv);

#endif

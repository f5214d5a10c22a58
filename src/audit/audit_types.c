/*
 * audit_types.c - the table of audit record types (see audit_types.h).
 */
#include "audit_types.h"

#include <strings.h>

#ifndef NETSIFT_VERSION
#define NETSIFT_VERSION "0.1.0"
#endif

const struct audit_type audit_types[REC_COUNT] = {
    [REC_ETHERNET] = {NETSIFT__TYPE__NC_Ethernet, "Ethernet", &netsift__ethernet__descriptor, 0},
    [REC_DOT1Q] = {NETSIFT__TYPE__NC_Dot1Q, "Dot1Q", &netsift__dot1_q__descriptor, 0},
    [REC_ARP] = {NETSIFT__TYPE__NC_ARP, "ARP", &netsift__arp__descriptor, 0},
    [REC_IPV4] = {NETSIFT__TYPE__NC_IPv4, "IPv4", &netsift__ipv4__descriptor, 0},
    [REC_IPV6] = {NETSIFT__TYPE__NC_IPv6, "IPv6", &netsift__ipv6__descriptor, 0},
    [REC_TCP] = {NETSIFT__TYPE__NC_TCP, "TCP", &netsift__tcp__descriptor, 0},
    [REC_UDP] = {NETSIFT__TYPE__NC_UDP, "UDP", &netsift__udp__descriptor, 0},
    [REC_ICMPV4] = {NETSIFT__TYPE__NC_ICMPv4, "ICMPv4", &netsift__icmpv4__descriptor, 0},
    [REC_ICMPV6] = {NETSIFT__TYPE__NC_ICMPv6, "ICMPv6", &netsift__icmpv6__descriptor, 0},
    [REC_DNS] = {NETSIFT__TYPE__NC_DNS, "DNS", &netsift__dns__descriptor, 0},
    [REC_DHCPV4] = {NETSIFT__TYPE__NC_DHCPv4, "DHCPv4", &netsift__dhcpv4__descriptor, 0},
    [REC_TLSCLIENTHELLO] = {NETSIFT__TYPE__NC_TLSClientHello, "TLSClientHello", &netsift__tlsclient_hello__descriptor, 0},
    [REC_TLSSERVERHELLO] = {NETSIFT__TYPE__NC_TLSServerHello, "TLSServerHello", &netsift__tlsserver_hello__descriptor, 0},
    [REC_FLOW] = {NETSIFT__TYPE__NC_Flow, "Flow", &netsift__flow__descriptor, 1},
    [REC_CONNECTION] = {NETSIFT__TYPE__NC_Connection, "Connection", &netsift__connection__descriptor, 1},
    [REC_LINKFLOW] = {NETSIFT__TYPE__NC_LinkFlow, "LinkFlow", &netsift__link_flow__descriptor, 1},
    [REC_NETWORKFLOW] = {NETSIFT__TYPE__NC_NetworkFlow, "NetworkFlow", &netsift__network_flow__descriptor, 1},
    [REC_TRANSPORTFLOW] = {NETSIFT__TYPE__NC_TransportFlow, "TransportFlow", &netsift__transport_flow__descriptor, 1},
};

int audit_type_by_name(const char *name)
{
    for (int i = 0; i < REC_COUNT; i++)
        if (strcasecmp(audit_types[i].name, name) == 0)
            return i;
    return -1;
}

int audit_type_by_nc(int nc)
{
    for (int i = 0; i < REC_COUNT; i++)
        if ((int)audit_types[i].nc == nc)
            return i;
    return -1;
}

const char *audit_version(void)
{
    return "netsift " NETSIFT_VERSION;
}

/*
 * service.h - the control socket as a service of the capture (see
 * service.c; the list of services is main.c's).
 */
#ifndef NETSIFT_CONTROL_SERVICE_H
#define NETSIFT_CONTROL_SERVICE_H

#include "../capture/capture.h"

extern const struct capture_service_ops control_service_ops;

#endif

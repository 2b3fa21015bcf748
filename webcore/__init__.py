"""What both HTTP services share: the JSON error shape, request ids, HTTP metrics, probes.

service_1 and service_2 never import each other (they speak HTTP); both import this.
"""

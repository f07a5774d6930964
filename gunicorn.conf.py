"""gunicorn's settings for this project, read from the folder gunicorn is started in (the
project's root, as the README's command does); command-line options still override them."""

# Seconds an idle keep-alive connection stays open. A load balancer keeps idle connections to
# the app servers and reuses them; with gunicorn's default of 2 s, a request the balancer sends
# on a connection just as gunicorn closes it is lost (measured by `make load`: a chat reply
# failing with "connection closed"), and a POST is not retried: the visitor gets an error.
# The app server must therefore hold idle connections longer than the balancer does, so that
# the balancer is the one that closes them: 75 s is above the usual 60 s (nginx's upstream
# keepalive_timeout, cloud load balancers' idle timeout). A threaded worker keeps idle
# connections in its poller, not in a thread, so holding them costs no thread.
keepalive = 75

// Inclusion: an empty network whose controller has node 5, a binary switch, waiting to join;
// AddNodeToNetwork then reports Ready, NodeFound, AddingSlave (with the node's info),
// ProtocolDone, and Done after the host's stop. Network file for the zwave-js mock controller.
module.exports.default = () => ({
	controller: { homeId: 0xc0ffee09, ownNodeId: 1 },
	nodes: [],
	onInit(controller) {
		controller.nodePendingInclusion = {
			id: 5,
			capabilities: {
				genericDeviceClass: 0x10,
				specificDeviceClass: 0x01,
				commandClasses: [
					{ ccId: 0x25, isSupported: true, version: 2, defaultValue: false },
					{ ccId: 0x86, isSupported: true, version: 3 },
				],
			},
		};
	},
});
